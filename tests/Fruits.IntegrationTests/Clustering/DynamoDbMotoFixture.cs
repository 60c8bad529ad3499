using System.Net;
using System.Net.Sockets;
using Amazon.DynamoDBv2;
using Fruits.Clustering.DynamoDB;
using Fruits.IntegrationTests.Aws;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Fruits.IntegrationTests.Clustering;

/// <summary>One moto_server shared by the clustering tests; each test isolates itself with its own table or cluster id.</summary>
public sealed class DynamoDbMotoFixture : IAsyncLifetime
{
    public MotoServer Moto { get; private set; } = null!;

    public IAmazonDynamoDB DynamoDb { get; private set; } = null!;

    public string Endpoint => Moto.Endpoint;

    public async Task InitializeAsync()
    {
        // Serialized so concurrent TransactWriteItems are isolated as on real DynamoDB (see MotoServer).
        Moto = await MotoServer.StartAsync(serializeRequests: true);
        Moto.UseForThisProcess();
        DynamoDb = new AmazonDynamoDBClient(new AmazonDynamoDBConfig { ServiceURL = Moto.Endpoint });
    }

    public async Task DisposeAsync()
    {
        DynamoDb.Dispose();
        await Moto.DisposeAsync();
    }

    public static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    internal DynamoDBMembershipTable CreateMembershipTable(string tableName, string clusterId) =>
        new(
            Options.Create(new DynamoDBClusteringOptions { Service = Endpoint, TableName = tableName }),
            Options.Create(new ClusterOptions { ClusterId = clusterId, ServiceId = "fruits-tests" }),
            NullLogger<DynamoDBMembershipTable>.Instance);

    internal DynamoDBGatewayListProvider CreateGatewayListProvider(string tableName, string clusterId, TimeSpan refreshPeriod) =>
        new(
            Options.Create(new DynamoDBGatewayOptions { Service = Endpoint, TableName = tableName }),
            Options.Create(new ClusterOptions { ClusterId = clusterId, ServiceId = "fruits-tests" }),
            Options.Create(new GatewayOptions { GatewayListRefreshPeriod = refreshPeriod }),
            NullLogger<DynamoDBGatewayListProvider>.Instance);

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
