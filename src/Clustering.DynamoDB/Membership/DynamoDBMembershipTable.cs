using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Fruits.DynamoDB;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Configuration;
using Orleans.Runtime;
using A = Fruits.Clustering.DynamoDB.MembershipAttributes;

namespace Fruits.Clustering.DynamoDB;

/// <summary>
/// Orleans membership table in one DynamoDB table: partition key <c>DeploymentId</c> (the cluster id), sort key
/// <c>SiloIdentity</c> (the silo's parsable address), plus one <c>VERSION</c> row per cluster holding the table version.
/// </summary>
/// <remarks>
/// Row and version writes go through TransactWriteItems so the row change and the table-version bump commit or fail
/// together, which is what the membership protocol's optimistic concurrency relies on.
/// </remarks>
internal sealed partial class DynamoDBMembershipTable : IMembershipTable, IDisposable
{
    private readonly DynamoDBClusteringOptions _options;
    private readonly string _clusterId;
    private readonly ILogger<DynamoDBMembershipTable> _logger;
    // Lazy: the host may build this before it runs the configuration validators, and a bad Service value must be
    // reported by the validator, not by the SDK client's constructor.
    private readonly Lazy<AmazonDynamoDBClient> _client;

    public DynamoDBMembershipTable(
        IOptions<DynamoDBClusteringOptions> options,
        IOptions<ClusterOptions> clusterOptions,
        ILogger<DynamoDBMembershipTable> logger)
    {
        _options = options.Value;
        _clusterId = clusterOptions.Value.ClusterId;
        _logger = logger;
        _client = new(() => DynamoDBClientFactory.Create(_options.Service, _options.MaxErrorRetry));
    }

    private string TableName => _options.TableName;

    private AmazonDynamoDBClient Client => _client.Value;

    public Task InitializeMembershipTable(bool tryInitTableVersion) =>
        InitializeMembershipTableAsync(tryInitTableVersion, CancellationToken.None);

    public async Task InitializeMembershipTableAsync(bool tryInitTableVersion, CancellationToken cancellationToken)
    {
        await DynamoDBTableInitializer.EnsureTableAsync(
            Client,
            new CreateTableRequest
            {
                TableName = TableName,
                KeySchema = [new KeySchemaElement(A.DeploymentId, KeyType.HASH), new KeySchemaElement(A.SiloIdentity, KeyType.RANGE)],
                AttributeDefinitions =
                [
                    new AttributeDefinition(A.DeploymentId, ScalarAttributeType.S),
                    new AttributeDefinition(A.SiloIdentity, ScalarAttributeType.S),
                ],
            },
            new DynamoDBTableSetup(
                $"{DynamoDBClusteringOptionsValidator.ProviderLabel} (cluster '{_clusterId}')",
                _options.Service,
                _options.CreateIfNotExists,
                _options.ReadCapacityUnits,
                _options.WriteCapacityUnits),
            _logger,
            cancellationToken);
        if (!tryInitTableVersion)
        {
            return;
        }

        var versionRow = MembershipEntryMapper.VersionKey(_clusterId);
        versionRow[A.Version] = MembershipEntryMapper.Number(0);
        versionRow[A.VersionEtag] = new AttributeValue { S = NewETag() };
        try
        {
            await Client.PutItemAsync(
                new PutItemRequest
                {
                    TableName = TableName,
                    Item = versionRow,
                    ConditionExpression = $"attribute_not_exists({A.SiloIdentity})",
                },
                cancellationToken);
        }
        catch (ConditionalCheckFailedException)
        {
            // Another silo of this cluster initialized the version first; its row is the one to keep.
            return;
        }

        LogVersionRowCreated(_logger, TableName, _clusterId);
    }

    public Task DeleteMembershipTableEntries(string clusterId) =>
        DeleteMembershipTableEntriesAsync(clusterId, CancellationToken.None);

    public async Task DeleteMembershipTableEntriesAsync(string clusterId, CancellationToken cancellationToken)
    {
        var keys = new List<Dictionary<string, AttributeValue>>();
        await foreach (var item in DynamoDBClusterQuery.QueryAsync(Client, TableName, clusterId, keysOnly: true, cancellationToken))
        {
            keys.Add(item);
        }

        foreach (var chunk in keys.Chunk(25))
        {
            var pending = new Dictionary<string, List<WriteRequest>>
            {
                [TableName] = chunk.Select(key => new WriteRequest { DeleteRequest = new DeleteRequest { Key = key } }).ToList(),
            };
            for (var attempt = 0; pending.Count > 0; attempt++)
            {
                if (attempt > 0)
                {
                    // Unprocessed items are DynamoDB shedding load; back off before resubmitting them.
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(2000, 50 << Math.Min(attempt, 6))), cancellationToken);
                }

                var response = await Client.BatchWriteItemAsync(new BatchWriteItemRequest { RequestItems = pending }, cancellationToken);
                pending = response.UnprocessedItems is { Count: > 0 } unprocessed ? unprocessed : [];
            }
        }
    }

    public Task CleanupDefunctSiloEntries(DateTimeOffset beforeDate) =>
        CleanupDefunctSiloEntriesAsync(beforeDate, CancellationToken.None);

    public async Task CleanupDefunctSiloEntriesAsync(DateTimeOffset beforeDate, CancellationToken cancellationToken)
    {
        var cutoff = beforeDate.UtcDateTime;
        await foreach (var item in DynamoDBClusterQuery.QueryAsync(Client, TableName, _clusterId, keysOnly: false, cancellationToken))
        {
            if (IsVersionRow(item))
            {
                continue;
            }

            var (entry, etag) = MembershipEntryMapper.FromItem(item);

            if (entry.Status != SiloStatus.Dead || LastKnownUpdate(entry) >= cutoff)
            {
                continue;
            }

            try
            {
                await Client.DeleteItemAsync(
                    new DeleteItemRequest
                    {
                        TableName = TableName,
                        Key = MembershipEntryMapper.Key(_clusterId, item[A.SiloIdentity].S),
                        ConditionExpression = "#etag = :etag",
                        ExpressionAttributeNames = new() { ["#etag"] = A.ETag },
                        ExpressionAttributeValues = new() { [":etag"] = new AttributeValue { S = etag } },
                    },
                    cancellationToken);
            }
            catch (ConditionalCheckFailedException)
            {
                // The row changed after we read it; it is no longer the defunct entry we decided to delete.
            }
        }
    }

    public Task<MembershipTableData> ReadRow(SiloAddress key) => ReadRowAsync(key, CancellationToken.None);

    public async Task<MembershipTableData> ReadRowAsync(SiloAddress key, CancellationToken cancellationToken)
    {
        // A transactional read returns the row and the version row as of one serializable point in time.
        var response = await Client.TransactGetItemsAsync(
            new TransactGetItemsRequest
            {
                TransactItems =
                [
                    new TransactGetItem { Get = new Get { TableName = TableName, Key = MembershipEntryMapper.VersionKey(_clusterId) } },
                    new TransactGetItem { Get = new Get { TableName = TableName, Key = MembershipEntryMapper.Key(_clusterId, key.ToParsableString()) } },
                ],
            },
            cancellationToken);

        var responses = response.Responses ?? [];
        var version = MembershipEntryMapper.ToTableVersion(responses.ElementAtOrDefault(0)?.Item);
        var row = responses.ElementAtOrDefault(1)?.Item;
        if (row is null || row.Count == 0)
        {
            return new MembershipTableData(version);
        }

        var (entry, etag) = MembershipEntryMapper.FromItem(row);
        return new MembershipTableData(Tuple.Create(entry, etag), version);
    }

    public Task<MembershipTableData> ReadAll() => ReadAllAsync(CancellationToken.None);

    public async Task<MembershipTableData> ReadAllAsync(CancellationToken cancellationToken)
    {
        // A Query is only read-committed per item, so it is no atomic snapshot on its own. Reading the version row
        // first and reporting that version makes it safe: any write committed after this read changed the version
        // etag, so a decision based on a mixed view fails its conditional write and the protocol re-reads.
        var versionResponse = await Client.GetItemAsync(
            new GetItemRequest { TableName = TableName, Key = MembershipEntryMapper.VersionKey(_clusterId), ConsistentRead = true },
            cancellationToken);
        var version = MembershipEntryMapper.ToTableVersion(versionResponse.Item);

        var entries = new List<Tuple<MembershipEntry, string>>();
        await foreach (var item in DynamoDBClusterQuery.QueryAsync(Client, TableName, _clusterId, keysOnly: false, cancellationToken))
        {
            if (!IsVersionRow(item))
            {
                var (entry, etag) = MembershipEntryMapper.FromItem(item);
                entries.Add(Tuple.Create(entry, etag));
            }
        }

        return new MembershipTableData(entries, version);
    }

    public Task<bool> InsertRow(MembershipEntry entry, TableVersion tableVersion) =>
        InsertRowAsync(entry, tableVersion, CancellationToken.None);

    public Task<bool> InsertRowAsync(MembershipEntry entry, TableVersion tableVersion, CancellationToken cancellationToken)
    {
        var put = new Put
        {
            TableName = TableName,
            Item = MembershipEntryMapper.ToItem(_clusterId, entry, NewETag()),
            ConditionExpression = $"attribute_not_exists({A.SiloIdentity})",
        };
        return WriteWithVersionAsync(put, tableVersion, cancellationToken);
    }

    public Task<bool> UpdateRow(MembershipEntry entry, string etag, TableVersion tableVersion) =>
        UpdateRowAsync(entry, etag, tableVersion, CancellationToken.None);

    public Task<bool> UpdateRowAsync(MembershipEntry entry, string etag, TableVersion tableVersion, CancellationToken cancellationToken)
    {
        // The row etag only changes here and on insert, never on heartbeats, so a row read before a heartbeat
        // stays updatable as the interface requires.
        var put = new Put
        {
            TableName = TableName,
            Item = MembershipEntryMapper.ToItem(_clusterId, entry, NewETag()),
            ConditionExpression = "#etag = :etag",
            ExpressionAttributeNames = new() { ["#etag"] = A.ETag },
            ExpressionAttributeValues = new() { [":etag"] = new AttributeValue { S = etag ?? string.Empty } },
        };
        return WriteWithVersionAsync(put, tableVersion, cancellationToken);
    }

    public Task UpdateIAmAlive(MembershipEntry entry) => UpdateIAmAliveAsync(entry, CancellationToken.None);

    public async Task UpdateIAmAliveAsync(MembershipEntry entry, CancellationToken cancellationToken)
    {
        await Client.UpdateItemAsync(
            new UpdateItemRequest
            {
                TableName = TableName,
                Key = MembershipEntryMapper.Key(_clusterId, entry.SiloAddress.ToParsableString()),
                UpdateExpression = "SET #alive = :alive",
                // Without the condition a heartbeat for a removed row would recreate it as a partial item.
                ConditionExpression = $"attribute_exists({A.SiloIdentity})",
                ExpressionAttributeNames = new() { ["#alive"] = A.IAmAliveTime },
                ExpressionAttributeValues = new() { [":alive"] = new AttributeValue { S = MembershipEntryMapper.FormatTime(entry.IAmAliveTime) } },
            },
            cancellationToken);
    }

    public void Dispose()
    {
        if (_client.IsValueCreated)
        {
            _client.Value.Dispose();
        }
    }

    private async Task<bool> WriteWithVersionAsync(Put rowWrite, TableVersion tableVersion, CancellationToken cancellationToken)
    {
        // Orleans passes the new version together with the etag it read; the stored version must be exactly one
        // behind and carry that etag, otherwise someone else changed the table since our read.
        var versionUpdate = new Update
        {
            TableName = TableName,
            Key = MembershipEntryMapper.VersionKey(_clusterId),
            UpdateExpression = "SET #version = :newVersion, #versionEtag = :newEtag",
            ConditionExpression = "#versionEtag = :expectedEtag AND #version = :previousVersion",
            ExpressionAttributeNames = new()
            {
                ["#version"] = A.Version,
                ["#versionEtag"] = A.VersionEtag,
            },
            ExpressionAttributeValues = new()
            {
                [":newVersion"] = MembershipEntryMapper.Number(tableVersion.Version),
                [":previousVersion"] = MembershipEntryMapper.Number(tableVersion.Version - 1),
                [":newEtag"] = new AttributeValue { S = NewETag() },
                [":expectedEtag"] = new AttributeValue { S = tableVersion.VersionEtag ?? string.Empty },
            },
        };

        try
        {
            await Client.TransactWriteItemsAsync(
                new TransactWriteItemsRequest
                {
                    TransactItems = [new TransactWriteItem { Put = rowWrite }, new TransactWriteItem { Update = versionUpdate }],
                },
                cancellationToken);
            return true;
        }
        catch (TransactionCanceledException ex) when (IsConcurrencyConflict(ex))
        {
            LogWriteLostConcurrencyCheck(_logger, ex, _clusterId);
            return false;
        }
    }

    // A failed condition means stale etag or version; a TransactionConflict means a concurrent transaction on the
    // same rows. Both are the "someone else wrote first" outcome the protocol handles by re-reading.
    private static bool IsConcurrencyConflict(TransactionCanceledException ex) =>
        ex.CancellationReasons is { Count: > 0 } reasons
        && reasons.Any(r => r.Code is "ConditionalCheckFailed" or "TransactionConflict")
        && reasons.All(r => r.Code is null or "None" or "ConditionalCheckFailed" or "TransactionConflict");

    // Like Orleans' internal EffectiveUpdateTime: suspicion votes count as updates, so a silo declared dead recently
    // stays visible to the protocol even if its own last heartbeat is old.
    private static DateTime LastKnownUpdate(MembershipEntry entry)
    {
        var latest = entry.IAmAliveTime > entry.StartTime ? entry.IAmAliveTime : entry.StartTime;
        foreach (var (_, voteTime) in entry.SuspectTimes ?? [])
        {
            if (voteTime > latest)
            {
                latest = voteTime;
            }
        }

        return latest;
    }

    private static bool IsVersionRow(Dictionary<string, AttributeValue> item) =>
        item.TryGetValue(A.SiloIdentity, out var identity) && identity.S == A.VersionRowKey;

    private static string NewETag() => Guid.NewGuid().ToString("N");

    [LoggerMessage(Level = LogLevel.Information, Message = "DynamoDB clustering: created the version row of cluster {ClusterId} in table {TableName}")]
    private static partial void LogVersionRowCreated(ILogger logger, string tableName, string clusterId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "DynamoDB clustering: a membership write for cluster {ClusterId} lost an optimistic concurrency check")]
    private static partial void LogWriteLostConcurrencyCheck(ILogger logger, Exception exception, string clusterId);
}
