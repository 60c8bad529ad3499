using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Fruits.DynamoDB;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Messaging;
using Orleans.Runtime;

namespace Fruits.Clustering.DynamoDB;

/// <summary>Client-side gateway discovery: the proxy endpoints of the Active silos in the DynamoDB membership table.</summary>
internal sealed partial class DynamoDBGatewayListProvider : IGatewayListProvider, IDisposable
{
    private readonly DynamoDBGatewayOptions _options;
    private readonly string _clusterId;
    private readonly ILogger<DynamoDBGatewayListProvider> _logger;
    // Lazy: the host may build this before it runs the configuration validators, and a bad Service value must be
    // reported by the validator, not by the SDK client's constructor.
    private readonly Lazy<AmazonDynamoDBClient> _client;

    public DynamoDBGatewayListProvider(
        IOptions<DynamoDBGatewayOptions> options,
        IOptions<ClusterOptions> clusterOptions,
        IOptions<GatewayOptions> gatewayOptions,
        ILogger<DynamoDBGatewayListProvider> logger)
    {
        _options = options.Value;
        _clusterId = clusterOptions.Value.ClusterId;
        _logger = logger;
        MaxStaleness = gatewayOptions.Value.GatewayListRefreshPeriod;
        _client = new(() => DynamoDBClientFactory.Create(_options.Service, _options.MaxErrorRetry));
    }

    public TimeSpan MaxStaleness { get; }

    public bool IsUpdatable => true;

    private AmazonDynamoDBClient Client => _client.Value;

    // The client never creates the table: that is the silos' job, and a client has no say in its capacity.
    public Task InitializeGatewayListProvider() => Task.CompletedTask;

    public Task InitializeGatewayListProviderAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<IList<Uri>> GetGateways() => GetGatewaysAsync(CancellationToken.None);

    public async Task<IList<Uri>> GetGatewaysAsync(CancellationToken cancellationToken)
    {
        var gateways = new List<Uri>();
        try
        {
            await foreach (var item in DynamoDBClusterQuery.QueryAsync(Client, _options.TableName, _clusterId, keysOnly: false, cancellationToken))
            {
                if (item.TryGetValue(MembershipAttributes.SiloIdentity, out var identity) && identity.S == MembershipAttributes.VersionRowKey)
                {
                    continue;
                }

                var (entry, _) = MembershipEntryMapper.FromItem(item);
                if (entry.Status == SiloStatus.Active && entry.ProxyPort > 0)
                {
                    // The row is keyed by the silo-to-silo endpoint; clients connect to the gateway (proxy) port.
                    var silo = entry.SiloAddress;
                    gateways.Add(SiloAddress.New(silo.Endpoint.Address, entry.ProxyPort, silo.Generation).ToGatewayUri());
                }
            }
        }
        catch (ResourceNotFoundException)
        {
            // No silo has created the table yet: no gateways, and Orleans asks again after MaxStaleness.
            LogTableMissing(_logger, _options.TableName);
        }

        return gateways;
    }

    public void Dispose()
    {
        if (_client.IsValueCreated)
        {
            _client.Value.Dispose();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "DynamoDB gateway list: clustering table {TableName} does not exist yet")]
    private static partial void LogTableMissing(ILogger logger, string tableName);
}
