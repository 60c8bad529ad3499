using System.Net;
using System.Net.Sockets;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Fruits.IntegrationTests.Aws;

namespace Fruits.IntegrationTests.Clustering;

/// <summary>
/// Silo processes that find each other through a DynamoDB membership table on moto_server, and keep job records
/// and reminders in DynamoDB tables there. Clusters built with the same <paramref name="serviceId"/> share jobs:
/// a cluster restarted under a new cluster id finds the jobs of the one before.
/// </summary>
public sealed class DynamoDbProcessCluster(MotoServer moto, string clusterId, string? serviceId = null) : IAsyncDisposable
{
    public const string TableName = "fruits-cluster-tests";
    private readonly List<ChildProcess> _silos = [];
    private readonly Dictionary<int, ChildProcess> _bySiloPort = [];
    private readonly string _serviceId = serviceId ?? $"fruits-tests-{Guid.NewGuid():N}";

    public IReadOnlyList<ChildProcess> Silos => _silos;

    /// <summary>The process of the silo with this address (as `fruits status` names it: "127.0.0.1:PORT@GENERATION").</summary>
    public ChildProcess SiloAt(string siloAddress)
    {
        var port = int.Parse(siloAddress.Split(':')[1].Split('@')[0], System.Globalization.CultureInfo.InvariantCulture);
        return _bySiloPort[port];
    }

    /// <summary>The environment every process of this cluster gets: the same keys the ECS task definition sets.</summary>
    public Dictionary<string, string> Environment => new()
    {
        ["Fruits__Silo__Clustering"] = "DynamoDB",
        ["Fruits__Silo__ClusterId"] = clusterId,
        ["Fruits__Silo__ServiceId"] = _serviceId,
        ["Fruits__Silo__AdvertisedIP"] = "127.0.0.1",
        ["Fruits__DynamoDB__TableName"] = TableName,
        ["Fruits__DynamoDB__Service"] = moto.Endpoint,
        ["Fruits__DynamoDB__Storage__TableName"] = "fruits-jobs-tests",
        ["Fruits__DynamoDB__Reminders__TableName"] = "fruits-reminders-tests",
        ["Fruits__Featurizer__MaxConcurrentBatches"] = "1",

        // Silos killed in a test stop writing their liveness row; the survivors may declare them dead alone once
        // those rows are stale (2 missed publishes), here after 20 s instead of a minute.
        ["Fruits__Silo__Membership__IAmAliveTablePublishTimeout"] = "00:00:10",
        ["AWS_ACCESS_KEY_ID"] = "testing",
        ["AWS_SECRET_ACCESS_KEY"] = "testing",
        ["AWS_REGION"] = "us-east-1",
        ["AWS_ENDPOINT_URL_S3"] = moto.Endpoint,
        ["Serilog__MinimumLevel__Default"] = "Warning",
        ["Serilog__MinimumLevel__Override__Fruits"] = "Information",
    };

    /// <param name="settings">Settings of this silo only, over the cluster's (a silo with another model, say).</param>
    public ChildProcess StartSilo(IReadOnlyDictionary<string, string>? settings = null)
    {
        var environment = Environment;
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            environment[key] = value;
        }

        var port = FreePort();
        environment["Fruits__Silo__SiloPort"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        environment["Fruits__Silo__GatewayPort"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var silo = ChildProcess.Start("fruits-silo", [], environment);
        _silos.Add(silo);
        _bySiloPort[port] = silo;
        return silo;
    }

    /// <summary>Waits until the membership table lists <paramref name="count"/> active silos of this cluster.</summary>
    public async Task WaitForActiveSilosAsync(int count, TimeSpan timeout)
    {
        using var dynamo = new AmazonDynamoDBClient(new Amazon.Runtime.BasicAWSCredentials("testing", "testing"), new AmazonDynamoDBConfig { ServiceURL = moto.Endpoint });
        var deadline = DateTime.UtcNow + timeout;
        var active = 0;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                var rows = await dynamo.QueryAsync(new QueryRequest
                {
                    TableName = TableName,
                    KeyConditionExpression = "DeploymentId = :c",
                    ExpressionAttributeValues = new() { [":c"] = new AttributeValue { S = clusterId } },
                    ConsistentRead = true,
                });
                active = rows.Items.Count(r => r.TryGetValue("Status", out var s) && s.N == "3");
                if (active >= count)
                {
                    return;
                }
            }
            catch (ResourceNotFoundException)
            {
            }

            foreach (var silo in _silos.Where(s => s.HasExited))
            {
                throw new InvalidOperationException($"a silo exited with {silo.ExitCode}:\n{silo.Output}");
            }

            await Task.Delay(500);
        }

        throw new TimeoutException($"{active} of {count} silos became active; output:\n{string.Join("\n---\n", _silos.Select(s => s.Output))}");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var silo in _silos)
        {
            await silo.DisposeAsync();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
