using Orleans.Storage;

namespace Orleans.Configuration;

/// <summary>Options of one named DynamoDB grain storage provider.</summary>
/// <remarks>
/// There are deliberately no key or secret properties: credentials always come from the AWS SDK default chain
/// (environment, shared profile, container or instance role), so no secret ever sits in Orleans configuration.
/// </remarks>
public sealed class DynamoDBStorageOptions : IStorageProviderSerializerOptions
{
    public const string DefaultTableName = "OrleansGrainState";

    /// <summary>
    /// A region system name (for example <c>eu-west-1</c>) or a service URL starting with <c>http</c>
    /// (DynamoDB Local, moto). Empty: the region from the SDK default chain.
    /// </summary>
    public string Service { get; set; } = string.Empty;

    public string TableName { get; set; } = DefaultTableName;

    /// <summary>Create the table (and wait until it is ACTIVE) when it does not exist yet.</summary>
    public bool CreateIfNotExists { get; set; } = true;

    /// <summary>Provisioned read capacity for a created table; 0 (with <see cref="WriteCapacityUnits"/> 0) means pay per request.</summary>
    public int ReadCapacityUnits { get; set; }

    /// <summary>Provisioned write capacity for a created table; 0 (with <see cref="ReadCapacityUnits"/> 0) means pay per request.</summary>
    public int WriteCapacityUnits { get; set; }

    /// <summary>SDK retries per request (throttling and transient faults, standard retry mode with backoff).</summary>
    public int MaxErrorRetry { get; set; } = 8;

    /// <summary>Clearing a grain's state deletes its item (true) or keeps an item without state whose ETag moves on (false).</summary>
    public bool DeleteStateOnClear { get; set; }

    /// <summary>Silo lifecycle stage at which the table is checked or created; the provider serves no grain before.</summary>
    public int InitStage { get; set; } = ServiceLifecycleStage.ApplicationServices;

    /// <summary>Serializer of the state; the silo's default <see cref="IGrainStorageSerializer"/> when left unset.</summary>
    public IGrainStorageSerializer GrainStorageSerializer { get; set; } = null!;
}
