using Fruits.Persistence.DynamoDB;
using Fruits.IntegrationTests.Clustering;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Fruits.IntegrationTests.Persistence;

/// <summary>Builds grain storage providers on the shared moto server, outside a silo.</summary>
internal static class DynamoDbStorageHarness
{
    public const string ServiceId = "fruits-storage-tests";

    public static DynamoDBGrainStorage Create(
        string endpoint,
        string tableName,
        Action<DynamoDBStorageOptions>? configure = null,
        ILogger<DynamoDBGrainStorage>? logger = null,
        string serviceId = ServiceId)
    {
        var options = new DynamoDBStorageOptions
        {
            Service = endpoint,
            TableName = tableName,
            GrainStorageSerializer = new SystemTextJsonGrainStorageSerializer(),
        };
        configure?.Invoke(options);
        return new DynamoDBGrainStorage(
            "jobs",
            options,
            Options.Create(new ClusterOptions { ClusterId = "storage-tests", ServiceId = serviceId }),
            new NewInstanceActivatorProvider(),
            logger ?? NullLogger<DynamoDBGrainStorage>.Instance);
    }

    public static async Task<DynamoDBGrainStorage> CreateInitializedAsync(
        DynamoDbMotoFixture fixture,
        string tableName,
        Action<DynamoDBStorageOptions>? configure = null)
    {
        var storage = Create(fixture.Endpoint, tableName, configure);
        await storage.InitializeAsync(CancellationToken.None);
        return storage;
    }
}
