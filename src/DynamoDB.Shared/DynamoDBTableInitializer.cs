using System.Diagnostics;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Microsoft.Extensions.Logging;

namespace Fruits.DynamoDB;

/// <summary>
/// Makes sure a provider's table exists and is ACTIVE before the provider uses it. Several silos may start at once
/// against a missing table: whoever loses the CreateTable race waits for the winner's table instead of failing.
/// </summary>
internal static partial class DynamoDBTableInitializer
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan ActiveTimeout = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Bound on the first requests. Without it an unreachable endpoint costs every SDK retry with backoff, or the HTTP
    /// timeout per attempt when packets are dropped, and silo start would hang for minutes before saying anything.
    /// </summary>
    private static readonly TimeSpan ReachTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Every failure comes out as one <see cref="InvalidOperationException"/> line naming the provider, table and endpoint.</summary>
    public static async Task EnsureTableAsync(
        IAmazonDynamoDB client,
        CreateTableRequest definition,
        DynamoDBTableSetup setup,
        ILogger logger,
        CancellationToken cancellationToken)
    {
        try
        {
            await EnsureCoreAsync(client, definition, setup, logger, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        // Amazon and transport failures are wrapped once; the InvalidOperationException messages composed here pass as they are.
        catch (Exception ex) when (ex is not InvalidOperationException)
        {
            var reason = ex is OperationCanceledException ? $"no answer within {ReachTimeout.TotalSeconds:0} s" : Reason(ex);
            throw new InvalidOperationException($"{setup.Provider}: cannot use DynamoDB table '{definition.TableName}' at {setup.Where}: {reason}", ex);
        }
    }

    private static async Task EnsureCoreAsync(
        IAmazonDynamoDB client,
        CreateTableRequest definition,
        DynamoDBTableSetup setup,
        ILogger logger,
        CancellationToken cancellationToken)
    {
        var tableName = definition.TableName;
        TableStatus? status;
        using (var reach = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            reach.CancelAfter(ReachTimeout);
            status = await TryGetStatusAsync(client, tableName, reach.Token);
            if (status is null)
            {
                if (!setup.CreateIfNotExists)
                {
                    throw new InvalidOperationException(
                        $"{setup.Provider}: DynamoDB table '{tableName}' does not exist at {setup.Where} and CreateIfNotExists is false.");
                }

                await CreateAsync(client, definition, setup, logger, reach.Token);
            }
        }

        if (status != TableStatus.ACTIVE)
        {
            await WaitUntilActiveAsync(client, tableName, setup, logger, cancellationToken);
        }
    }

    private static async Task CreateAsync(
        IAmazonDynamoDB client,
        CreateTableRequest definition,
        DynamoDBTableSetup setup,
        ILogger logger,
        CancellationToken cancellationToken)
    {
        var provisioned = setup.ReadCapacityUnits > 0 || setup.WriteCapacityUnits > 0;
        var throughput = provisioned
            ? new ProvisionedThroughput(Math.Max(1, setup.ReadCapacityUnits), Math.Max(1, setup.WriteCapacityUnits))
            : null;
        definition.BillingMode = provisioned ? BillingMode.PROVISIONED : BillingMode.PAY_PER_REQUEST;
        definition.ProvisionedThroughput = throughput;
        foreach (var index in definition.GlobalSecondaryIndexes ?? [])
        {
            index.ProvisionedThroughput = throughput;
        }

        try
        {
            await client.CreateTableAsync(definition, cancellationToken);
            LogTableCreated(logger, setup.Provider, definition.TableName, definition.BillingMode.Value);
        }
        catch (ResourceInUseException)
        {
            // Another silo won the race to create it; waiting for ACTIVE is all that is left to do.
            LogTableCreatedElsewhere(logger, setup.Provider, definition.TableName);
        }
    }

    private static async Task WaitUntilActiveAsync(
        IAmazonDynamoDB client,
        string tableName,
        DynamoDBTableSetup setup,
        ILogger logger,
        CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ActiveTimeout);
        var waited = Stopwatch.StartNew();
        try
        {
            while (await TryGetStatusAsync(client, tableName, timeout.Token) != TableStatus.ACTIVE)
            {
                await Task.Delay(PollInterval, timeout.Token);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new InvalidOperationException(
                $"{setup.Provider}: DynamoDB table '{tableName}' at {setup.Where} did not become ACTIVE within {ActiveTimeout.TotalMinutes:0} minutes.");
        }

        LogTableActive(logger, setup.Provider, tableName, waited.ElapsedMilliseconds);
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

    // The transport error says most ("Connection refused (127.0.0.1:1)"); otherwise the deepest cause, on one line.
    private static string Reason(Exception ex)
    {
        var deepest = ex;
        for (var current = ex; current is not null; current = current.InnerException)
        {
            if (current is HttpRequestException)
            {
                deepest = current;
                break;
            }

            deepest = current;
        }

        return string.Join(' ', deepest.Message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries)).TrimEnd('.');
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Provider}: created DynamoDB table {TableName} ({BillingMode})")]
    private static partial void LogTableCreated(ILogger logger, string provider, string tableName, string billingMode);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Provider}: DynamoDB table {TableName} is being created by another silo; waiting for it")]
    private static partial void LogTableCreatedElsewhere(ILogger logger, string provider, string tableName);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Provider}: DynamoDB table {TableName} is ACTIVE after {ElapsedMs} ms")]
    private static partial void LogTableActive(ILogger logger, string provider, string tableName, long elapsedMs);
}
