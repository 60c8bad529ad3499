using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Fruits.DynamoDB;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Configuration;
using Orleans.Runtime;
using A = Fruits.Reminders.DynamoDB.ReminderAttributes;

namespace Fruits.Reminders.DynamoDB;

/// <summary>
/// Orleans reminder table in one DynamoDB table: partition key <c>ReminderId</c> (<c>{ServiceId}_{GrainId}_{ReminderName}</c>),
/// sort key <c>GrainHash</c>, and two global indexes keyed by <c>ServiceId</c>: by <c>GrainHash</c> for the ring range
/// reads and by <c>GrainReference</c> for one grain's reminders. Several services can share the table.
/// </summary>
/// <remarks>
/// The index reads (<see cref="ReadRows(GrainId)"/>, <see cref="ReadRows(uint, uint)"/>) are eventually consistent, as
/// DynamoDB offers no other kind on a global index; the reminder service re-reads its range periodically, and
/// <see cref="ReadRow"/> and <see cref="RemoveRow"/> go to the item itself.
/// </remarks>
internal sealed partial class DynamoDBReminderTable : IReminderTable, IDisposable
{
    internal const string ProviderLabel = "DynamoDB reminder table";

    private readonly DynamoDBReminderStorageOptions _options;
    private readonly string _serviceId;
    private readonly ILogger<DynamoDBReminderTable> _logger;

    // Created at start, not construction: the silo builds the table before it runs the configuration validators,
    // and a bad Service value must be reported by the validator, not by the SDK in a constructor.
    private volatile AmazonDynamoDBClient? _client;

    public DynamoDBReminderTable(
        IOptions<DynamoDBReminderStorageOptions> options,
        IOptions<ClusterOptions> clusterOptions,
        ILogger<DynamoDBReminderTable> logger)
    {
        _options = options.Value;
        _serviceId = clusterOptions.Value.ServiceId;
        _logger = logger;
    }

    private string TableName => _options.TableName;

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        var client = DynamoDBClientFactory.Create(_options.Service, _options.MaxErrorRetry);
        try
        {
            await DynamoDBTableInitializer.EnsureTableAsync(
                client,
                new CreateTableRequest
                {
                    TableName = TableName,
                    KeySchema = [new KeySchemaElement(A.ReminderId, KeyType.HASH), new KeySchemaElement(A.GrainHash, KeyType.RANGE)],
                    AttributeDefinitions =
                    [
                        new AttributeDefinition(A.ReminderId, ScalarAttributeType.S),
                        new AttributeDefinition(A.GrainHash, ScalarAttributeType.N),
                        new AttributeDefinition(A.ServiceId, ScalarAttributeType.S),
                        new AttributeDefinition(A.GrainReference, ScalarAttributeType.S),
                    ],
                    GlobalSecondaryIndexes =
                    [
                        Index(A.ServiceIdIndex, A.ServiceId, A.GrainHash),
                        Index(A.ServiceIdGrainReferenceIndex, A.ServiceId, A.GrainReference),
                    ],
                },
                new DynamoDBTableSetup(ProviderLabel, _options.Service, _options.CreateIfNotExists, _options.ReadCapacityUnits, _options.WriteCapacityUnits),
                _logger,
                cancellationToken);
        }
        catch (Exception ex)
        {
            client.Dispose();
            if (ex is InvalidOperationException)
            {
                LogStartFailed(_logger, ex.Message);
            }

            throw;
        }

        Interlocked.Exchange(ref _client, client)?.Dispose();

        LogStarted(_logger, TableName, _serviceId);
    }

    public async Task<ReminderEntry?> ReadRow(GrainId grainId, string reminderName)
    {
        var response = await Client.GetItemAsync(new GetItemRequest
        {
            TableName = TableName,
            Key = Key(grainId, reminderName),
            ConsistentRead = true,
        });
        return response.Item is { Count: > 0 } item ? ToEntry(item) : null;
    }

    public async Task<ReminderTableData> ReadRows(GrainId grainId)
    {
        var entries = new List<ReminderEntry>();
        await QueryIntoAsync(
            entries,
            A.ServiceIdGrainReferenceIndex,
            $"{A.ServiceId} = :sid AND {A.GrainReference} = :grain",
            new() { [":grain"] = new AttributeValue { S = grainId.ToString() } });
        return new ReminderTableData(entries);
    }

    /// <summary>Reminders whose grain hash lies in the ring range (<paramref name="begin"/>, <paramref name="end"/>].</summary>
    /// <remarks>
    /// <paramref name="begin"/> &gt;= <paramref name="end"/> is a range that wraps past <see cref="uint.MaxValue"/>
    /// (above begin, or at most end); begin == end is the whole ring.
    /// </remarks>
    public async Task<ReminderTableData> ReadRows(uint begin, uint end)
    {
        var entries = new List<ReminderEntry>();
        if (begin < end)
        {
            await QueryIntoAsync(
                entries,
                A.ServiceIdIndex,
                $"{A.ServiceId} = :sid AND {A.GrainHash} BETWEEN :low AND :high",
                new() { [":low"] = Number(begin + 1UL), [":high"] = Number(end) });
        }
        else
        {
            await QueryIntoAsync(entries, A.ServiceIdIndex, $"{A.ServiceId} = :sid AND {A.GrainHash} > :begin", new() { [":begin"] = Number(begin) });
            await QueryIntoAsync(entries, A.ServiceIdIndex, $"{A.ServiceId} = :sid AND {A.GrainHash} <= :end", new() { [":end"] = Number(end) });
        }

        return new ReminderTableData(entries);
    }

    public async Task<string?> UpsertRow(ReminderEntry entry)
    {
        var item = Key(entry.GrainId, entry.ReminderName);
        var etag = Random.Shared.NextInt64(1, long.MaxValue).ToString(CultureInfo.InvariantCulture);
        item[A.ServiceId] = new AttributeValue { S = _serviceId };
        item[A.GrainReference] = new AttributeValue { S = entry.GrainId.ToString() };
        item[A.ReminderName] = new AttributeValue { S = entry.ReminderName };
        item[A.StartTime] = new AttributeValue { S = ToUtc(entry.StartAt).ToString("O", CultureInfo.InvariantCulture) };
        item[A.Period] = new AttributeValue { S = entry.Period.ToString("c", CultureInfo.InvariantCulture) };
        item[A.ETag] = new AttributeValue { N = etag };

        // Unconditional, as IReminderTable defines it: the latest registration of a reminder wins.
        await Client.PutItemAsync(new PutItemRequest { TableName = TableName, Item = item });
        entry.ETag = etag;
        return etag;
    }

    public async Task<bool> RemoveRow(GrainId grainId, string reminderName, string eTag)
    {
        if (!long.TryParse(eTag, NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            // Not an ETag of this table, so it cannot be the stored one.
            return false;
        }

        try
        {
            await Client.DeleteItemAsync(new DeleteItemRequest
            {
                TableName = TableName,
                Key = Key(grainId, reminderName),
                ConditionExpression = $"{A.ETag} = :etag",
                ExpressionAttributeValues = new() { [":etag"] = new AttributeValue { N = eTag } },
            });
            return true;
        }
        catch (ConditionalCheckFailedException)
        {
            // Missing, or registered again since the caller read it: either way not the reminder the caller meant.
            LogRemoveLost(_logger, grainId, reminderName, eTag);
            return false;
        }
    }

    /// <summary>Deletes this service's reminders only; other services sharing the table keep theirs.</summary>
    public async Task TestOnlyClearTable()
    {
        var keys = new List<Dictionary<string, AttributeValue>>();
        var request = IndexQuery(A.ServiceIdIndex, $"{A.ServiceId} = :sid", []);
        request.ProjectionExpression = $"{A.ReminderId}, {A.GrainHash}";
        do
        {
            var response = await Client.QueryAsync(request);
            keys.AddRange(response.Items ?? []);
            request.ExclusiveStartKey = response.LastEvaluatedKey is { Count: > 0 } last ? last : null;
        }
        while (request.ExclusiveStartKey is not null);

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
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(2000, 50 << Math.Min(attempt, 6))));
                }

                var response = await Client.BatchWriteItemAsync(new BatchWriteItemRequest { RequestItems = pending });
                pending = response.UnprocessedItems is { Count: > 0 } unprocessed ? unprocessed : [];
            }
        }
    }

    public void Dispose() => Interlocked.Exchange(ref _client, null)?.Dispose();

    private AmazonDynamoDBClient Client =>
        _client ?? throw new InvalidOperationException($"{ProviderLabel} is used before it was started.");

    private async Task QueryIntoAsync(List<ReminderEntry> entries, string indexName, string keyCondition, Dictionary<string, AttributeValue> values)
    {
        var request = IndexQuery(indexName, keyCondition, values);
        do
        {
            var response = await Client.QueryAsync(request);
            entries.AddRange((response.Items ?? []).Select(ToEntry));
            request.ExclusiveStartKey = response.LastEvaluatedKey is { Count: > 0 } last ? last : null;
        }
        while (request.ExclusiveStartKey is not null);
    }

    private QueryRequest IndexQuery(string indexName, string keyCondition, Dictionary<string, AttributeValue> values)
    {
        values[":sid"] = new AttributeValue { S = _serviceId };
        return new QueryRequest
        {
            TableName = TableName,
            IndexName = indexName,
            KeyConditionExpression = keyCondition,
            ExpressionAttributeValues = values,
        };
    }

    private Dictionary<string, AttributeValue> Key(GrainId grainId, string reminderName) => new()
    {
        [A.ReminderId] = new AttributeValue { S = $"{_serviceId}_{grainId}_{reminderName}" },
        [A.GrainHash] = Number(grainId.GetUniformHashCode()),
    };

    private static ReminderEntry ToEntry(Dictionary<string, AttributeValue> item) => new()
    {
        GrainId = GrainId.Parse(item[A.GrainReference].S),
        ReminderName = item[A.ReminderName].S,
        StartAt = DateTime.Parse(item[A.StartTime].S, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
        Period = TimeSpan.Parse(item[A.Period].S, CultureInfo.InvariantCulture),
        ETag = item[A.ETag].N,
    };

    private static GlobalSecondaryIndex Index(string name, string hashKey, string rangeKey) => new()
    {
        IndexName = name,
        KeySchema = [new KeySchemaElement(hashKey, KeyType.HASH), new KeySchemaElement(rangeKey, KeyType.RANGE)],
        Projection = new Projection { ProjectionType = ProjectionType.ALL },
    };

    private static AttributeValue Number(ulong value) => new() { N = value.ToString(CultureInfo.InvariantCulture) };

    // Orleans stamps reminders with UtcNow; an Unspecified kind is taken as UTC rather than shifted by the local zone.
    private static DateTime ToUtc(DateTime time) => time.Kind switch
    {
        DateTimeKind.Local => time.ToUniversalTime(),
        DateTimeKind.Unspecified => DateTime.SpecifyKind(time, DateTimeKind.Utc),
        _ => time,
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "DynamoDB reminder table ready: table {TableName}, service id {ServiceId}")]
    private static partial void LogStarted(ILogger logger, string tableName, string serviceId);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Reason}")]
    private static partial void LogStartFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Reminder {ReminderName} of grain {GrainId} was not removed: ETag {ETag} is not the stored one")]
    private static partial void LogRemoveLost(ILogger logger, GrainId grainId, string reminderName, string eTag);
}
