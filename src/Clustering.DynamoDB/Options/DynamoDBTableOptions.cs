namespace Orleans.Configuration;

/// <summary>Where the clustering table lives; shared by the silo and client options.</summary>
/// <remarks>
/// There are deliberately no key or secret properties: credentials always come from the AWS SDK default chain
/// (environment, shared profile, container or instance role), so no secret ever sits in Orleans configuration.
/// </remarks>
public abstract class DynamoDBTableOptions
{
    public const string DefaultTableName = "OrleansSiloInstances";

    /// <summary>
    /// A region system name (for example <c>eu-west-1</c>) or a service URL starting with <c>http</c>
    /// (DynamoDB Local, moto). Empty: the region from the SDK default chain.
    /// </summary>
    public string Service { get; set; } = string.Empty;

    public string TableName { get; set; } = DefaultTableName;

    /// <summary>SDK retries per request (throttling and transient faults, standard retry mode with backoff).</summary>
    public int MaxErrorRetry { get; set; } = 8;
}
