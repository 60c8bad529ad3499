using System.Globalization;
using System.Text;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Fruits.DynamoDB;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.Serialization.Serializers;
using Orleans.Storage;
using A = Fruits.Persistence.DynamoDB.GrainStateAttributes;

namespace Fruits.Persistence.DynamoDB;

/// <summary>
/// Grain state in one DynamoDB item per grain and state name: partition key <c>GrainReference</c>
/// (<c>{ServiceId}_{GrainId}</c>), sort key <c>GrainType</c> (the state name), the serialized state as binary
/// <c>GrainState</c> and a numeric <c>ETag</c>. Every write is conditional on the ETag the grain last read or wrote.
/// </summary>
internal sealed partial class DynamoDBGrainStorage : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>, IDisposable
{
    /// <summary>DynamoDB's item size limit: attribute names and values together.</summary>
    public const int MaxItemBytes = 400 * 1024;

    // DynamoDB key size limits (UTF-8 bytes).
    private const int MaxPartitionKeyBytes = 2048;
    private const int MaxSortKeyBytes = 1024;

    private readonly string _name;
    private readonly DynamoDBStorageOptions _options;
    private readonly string _serviceId;
    private readonly IActivatorProvider _activatorProvider;
    private readonly ILogger<DynamoDBGrainStorage> _logger;

    // Created at initialization, not construction: the silo builds providers before it runs the configuration
    // validators, and a bad Service value must be reported by the validator, not by the SDK in a constructor.
    private volatile AmazonDynamoDBClient? _client;

    public DynamoDBGrainStorage(
        string name,
        DynamoDBStorageOptions options,
        IOptions<ClusterOptions> clusterOptions,
        IActivatorProvider activatorProvider,
        ILogger<DynamoDBGrainStorage> logger)
    {
        _name = name;
        _options = options;
        _serviceId = clusterOptions.Value.ServiceId;
        _activatorProvider = activatorProvider;
        _logger = logger;
    }

    private string Provider => ProviderLabel(_name);

    private string TableName => _options.TableName;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(OptionFormattingUtilities.Name<DynamoDBGrainStorage>(_name), _options.InitStage, InitializeAsync, _ => Task.CompletedTask);

    /// <summary>Checks the table (creating it when allowed and missing) and waits until it is ACTIVE.</summary>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        var client = DynamoDBClientFactory.Create(_options.Service, _options.MaxErrorRetry);
        try
        {
            await DynamoDBTableInitializer.EnsureTableAsync(
                client,
                new CreateTableRequest
                {
                    TableName = TableName,
                    KeySchema = [new KeySchemaElement(A.GrainReference, KeyType.HASH), new KeySchemaElement(A.GrainType, KeyType.RANGE)],
                    AttributeDefinitions =
                    [
                        new AttributeDefinition(A.GrainReference, ScalarAttributeType.S),
                        new AttributeDefinition(A.GrainType, ScalarAttributeType.S),
                    ],
                },
                new DynamoDBTableSetup(Provider, _options.Service, _options.CreateIfNotExists, _options.ReadCapacityUnits, _options.WriteCapacityUnits),
                _logger,
                cancellationToken);
        }
        catch (Exception ex)
        {
            client.Dispose();
            if (ex is InvalidOperationException)
            {
                LogInitializationFailed(_logger, ex.Message);
            }

            throw;
        }

        Interlocked.Exchange(ref _client, client)?.Dispose();
        LogInitialized(_logger, Provider, TableName, _serviceId, _options.DeleteStateOnClear);
    }

    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var response = await Client.GetItemAsync(new GetItemRequest
        {
            TableName = TableName,
            Key = Key(stateName, grainId),
            ConsistentRead = true,
        });

        if (response.Item is not { Count: > 0 } item)
        {
            Reset(grainState, etag: null);
            return;
        }

        // An item without ETag was not written by a provider of this layout; with no ETag the next write is a
        // first write, whose condition then fails on the existing item instead of overwriting it.
        grainState.ETag = item.GetValueOrDefault(A.ETag)?.N;
        if (item.TryGetValue(A.State, out var stored) && stored.B is { Length: > 0 } bytes)
        {
            grainState.State = Deserialize<T>(bytes.ToArray(), stateName, grainId);
            grainState.RecordExists = true;
        }
        else
        {
            // Cleared without being deleted: no state, but the ETag stays so the next write is still conditional.
            grainState.State = CreateInstance<T>();
            grainState.RecordExists = false;
        }
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var item = Key(stateName, grainId);
        item[A.State] = new AttributeValue { B = new MemoryStream(_options.GrainStorageSerializer.Serialize(grainState.State).ToArray()) };
        grainState.ETag = await PutConditionalAsync(item, stateName, grainId, grainState.ETag);
        grainState.RecordExists = true;
    }

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (_options.DeleteStateOnClear)
        {
            await DeleteConditionalAsync(stateName, grainId, grainState.ETag);
            Reset(grainState, etag: null);
        }
        else
        {
            // An item without state: the ETag moves on, so a writer holding the pre-clear ETag still loses.
            var etag = await PutConditionalAsync(Key(stateName, grainId), stateName, grainId, grainState.ETag);
            Reset(grainState, etag);
        }
    }

    public void Dispose() => Interlocked.Exchange(ref _client, null)?.Dispose();

    internal static string ProviderLabel(string name) => $"DynamoDB grain storage '{name}'";

    private async Task<string> PutConditionalAsync(Dictionary<string, AttributeValue> item, string stateName, GrainId grainId, string? expectedEtag)
    {
        var (condition, values, next) = Condition(expectedEtag, stateName, grainId);
        item[A.ETag] = Number(next);
        var size = ItemSize(item);
        if (size > MaxItemBytes)
        {
            throw new InvalidOperationException(
                $"{Provider}: state '{stateName}' of grain {grainId} makes a {size}-byte DynamoDB item; DynamoDB items hold at most {MaxItemBytes} bytes (400 KB).");
        }

        try
        {
            await Client.PutItemAsync(new PutItemRequest
            {
                TableName = TableName,
                Item = item,
                ConditionExpression = condition,
                ExpressionAttributeValues = values,
                ReturnValuesOnConditionCheckFailure = ReturnValuesOnConditionCheckFailure.ALL_OLD,
            });
        }
        catch (ConditionalCheckFailedException ex)
        {
            throw await ConflictAsync(ex, "write", stateName, grainId, expectedEtag);
        }

        return next.ToString(CultureInfo.InvariantCulture);
    }

    private async Task DeleteConditionalAsync(string stateName, GrainId grainId, string? expectedEtag)
    {
        var (condition, values, _) = Condition(expectedEtag, stateName, grainId);
        try
        {
            // With no ETag the grain believes nothing is stored: the condition lets the delete pass only if that holds.
            await Client.DeleteItemAsync(new DeleteItemRequest
            {
                TableName = TableName,
                Key = Key(stateName, grainId),
                ConditionExpression = condition,
                ExpressionAttributeValues = values,
                ReturnValuesOnConditionCheckFailure = ReturnValuesOnConditionCheckFailure.ALL_OLD,
            });
        }
        catch (ConditionalCheckFailedException ex)
        {
            throw await ConflictAsync(ex, "clear", stateName, grainId, expectedEtag);
        }
    }

    private (string Condition, Dictionary<string, AttributeValue>? Values, long Next) Condition(string? expectedEtag, string stateName, GrainId grainId)
    {
        if (string.IsNullOrEmpty(expectedEtag))
        {
            return ($"attribute_not_exists({A.GrainReference})", null, 0);
        }

        if (!long.TryParse(expectedEtag, NumberStyles.None, CultureInfo.InvariantCulture, out var current))
        {
            // Not an ETag of this provider (state moved from another storage): it can never match a stored one.
            throw new InconsistentStateException(
                $"{Provider}: ETag '{expectedEtag}' of state '{stateName}' of grain {grainId} is not one this provider wrote.",
                storedEtag: null,
                currentEtag: expectedEtag);
        }

        return ($"{A.ETag} = :etag", new() { [":etag"] = Number(current) }, current + 1);
    }

    private async Task<InconsistentStateException> ConflictAsync(
        ConditionalCheckFailedException ex,
        string operation,
        string stateName,
        GrainId grainId,
        string? expectedEtag)
    {
        var stored = ex.Item is { Count: > 0 } old
            ? old.GetValueOrDefault(A.ETag)?.N
            // Only for the message: endpoints that do not return the old item on a failed condition.
            : (await Client.GetItemAsync(new GetItemRequest { TableName = TableName, Key = Key(stateName, grainId), ConsistentRead = true })).Item?.GetValueOrDefault(A.ETag)?.N;
        LogConflict(_logger, Provider, operation, stateName, grainId, expectedEtag, stored);
        return new InconsistentStateException(
            $"{Provider}: {operation} of state '{stateName}' of grain {grainId} lost an ETag check: the grain had {Describe(expectedEtag)}, the table has {Describe(stored)}.",
            stored,
            expectedEtag,
            ex);
    }

    private static string Describe(string? etag) => etag is null ? "no item" : $"ETag {etag}";

    private Dictionary<string, AttributeValue> Key(string stateName, GrainId grainId)
    {
        var partitionKey = $"{_serviceId}_{grainId}";
        if (Encoding.UTF8.GetByteCount(partitionKey) > MaxPartitionKeyBytes || Encoding.UTF8.GetByteCount(stateName) > MaxSortKeyBytes)
        {
            throw new ArgumentException(
                $"{Provider}: the key of state '{stateName}' of grain {grainId} is longer than DynamoDB allows ({MaxPartitionKeyBytes} bytes for service id and grain id, {MaxSortKeyBytes} for the state name).");
        }

        return new()
        {
            [A.GrainReference] = new AttributeValue { S = partitionKey },
            [A.GrainType] = new AttributeValue { S = stateName },
        };
    }

    // DynamoDB counts each attribute name plus its value: UTF-8 bytes of strings, raw bytes of binaries, and at most
    // 21 bytes for a number; the number here is the ETag, so its digit count is a safe upper bound.
    private static int ItemSize(Dictionary<string, AttributeValue> item) =>
        item.Sum(pair => Encoding.UTF8.GetByteCount(pair.Key) + pair.Value switch
        {
            { S: { } s } => Encoding.UTF8.GetByteCount(s),
            { B: { } b } => (int)b.Length,
            { N: { } n } => n.Length,
            _ => 1,
        });

    private T Deserialize<T>(byte[] bytes, string stateName, GrainId grainId)
    {
        try
        {
            return _options.GrainStorageSerializer.Deserialize<T>(new BinaryData(bytes)) ?? CreateInstance<T>();
        }
        catch (Exception ex)
        {
            throw new InvalidOperationException(
                $"{Provider}: state '{stateName}' of grain {grainId} ({bytes.Length} bytes) does not deserialize as {typeof(T)}: {ex.Message}", ex);
        }
    }

    private void Reset<T>(IGrainState<T> grainState, string? etag)
    {
        grainState.State = CreateInstance<T>();
        grainState.RecordExists = false;
        grainState.ETag = etag;
    }

    private T CreateInstance<T>() => _activatorProvider.GetActivator<T>().Create();

    private AmazonDynamoDBClient Client =>
        _client ?? throw new InvalidOperationException($"{Provider} is used before its table was initialized (silo lifecycle stage {_options.InitStage}).");

    private static AttributeValue Number(long value) => new() { N = value.ToString(CultureInfo.InvariantCulture) };

    [LoggerMessage(Level = LogLevel.Information, Message = "{Provider} ready: table {TableName}, service id {ServiceId}, DeleteStateOnClear {DeleteStateOnClear}")]
    private static partial void LogInitialized(ILogger logger, string provider, string tableName, string serviceId, bool deleteStateOnClear);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Reason}")]
    private static partial void LogInitializationFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Provider}: {Operation} of state {StateName} of grain {GrainId} lost an ETag check (had {Expected}, table has {Stored})")]
    private static partial void LogConflict(ILogger logger, string provider, string operation, string stateName, GrainId grainId, string? expected, string? stored);
}
