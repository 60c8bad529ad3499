using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using A = Fruits.Clustering.DynamoDB.MembershipAttributes;

namespace Fruits.Clustering.DynamoDB;

/// <summary>Makes sure the clustering table exists and is ACTIVE before the membership protocol uses it.</summary>
internal static class DynamoDBTableInitializer
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan ActiveTimeout = TimeSpan.FromMinutes(5);

    public static async Task EnsureTableAsync(IAmazonDynamoDB client, DynamoDBClusteringOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        var status = await TryGetStatusAsync(client, options.TableName, cancellationToken);
        if (status is null)
        {
            if (!options.CreateIfNotExists)
            {
                throw new InvalidOperationException(
                    $"DynamoDB table '{options.TableName}' does not exist and {nameof(DynamoDBClusteringOptions.CreateIfNotExists)} is false.");
            }

            await CreateAsync(client, options, logger, cancellationToken);
        }

        if (status != TableStatus.ACTIVE)
        {
            await WaitUntilActiveAsync(client, options.TableName, cancellationToken);
        }
    }

    private static async Task CreateAsync(IAmazonDynamoDB client, DynamoDBClusteringOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        var provisioned = options.ReadCapacityUnits > 0 || options.WriteCapacityUnits > 0;
        var request = new CreateTableRequest
        {
            TableName = options.TableName,
            KeySchema =
            [
                new KeySchemaElement(A.DeploymentId, KeyType.HASH),
                new KeySchemaElement(A.SiloIdentity, KeyType.RANGE),
            ],
            AttributeDefinitions =
            [
                new AttributeDefinition(A.DeploymentId, ScalarAttributeType.S),
                new AttributeDefinition(A.SiloIdentity, ScalarAttributeType.S),
            ],
            BillingMode = provisioned ? BillingMode.PROVISIONED : BillingMode.PAY_PER_REQUEST,
            ProvisionedThroughput = provisioned
                ? new ProvisionedThroughput(Math.Max(1, options.ReadCapacityUnits), Math.Max(1, options.WriteCapacityUnits))
                : null,
        };

        try
        {
            await client.CreateTableAsync(request, cancellationToken);
            logger.LogInformation("Created DynamoDB clustering table {TableName} ({BillingMode})", options.TableName, request.BillingMode.Value);
        }
        catch (ResourceInUseException)
        {
            // Another silo won the race to create it; waiting for ACTIVE below is all that is left to do.
        }
    }

    private static async Task WaitUntilActiveAsync(IAmazonDynamoDB client, string tableName, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ActiveTimeout);
        while (await TryGetStatusAsync(client, tableName, timeout.Token) != TableStatus.ACTIVE)
        {
            await Task.Delay(PollInterval, timeout.Token);
        }
    }

    private static async Task<TableStatus?> TryGetStatusAsync(IAmazonDynamoDB client, string tableName, CancellationToken cancellationToken)
    {
        try
        {
            var response = await client.DescribeTableAsync(tableName, cancellationToken);
            return response.Table.TableStatus;
        }
        catch (ResourceNotFoundException)
        {
            return null;
        }
    }
}
