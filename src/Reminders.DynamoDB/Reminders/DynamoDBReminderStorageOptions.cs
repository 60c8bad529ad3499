namespace Orleans.Configuration;

/// <summary>Options of the DynamoDB reminder table.</summary>
/// <remarks>
/// There are deliberately no key or secret properties: credentials always come from the AWS SDK default chain
/// (environment, shared profile, container or instance role), so no secret ever sits in Orleans configuration.
/// </remarks>
public sealed class DynamoDBReminderStorageOptions
{
    public const string DefaultTableName = "OrleansReminders";

    /// <summary>
    /// A region system name (for example <c>eu-west-1</c>) or a service URL starting with <c>http</c>
    /// (DynamoDB Local, moto). Empty: the region from the SDK default chain.
    /// </summary>
    public string Service { get; set; } = string.Empty;

    public string TableName { get; set; } = DefaultTableName;

    /// <summary>Create the table and its two indexes (and wait until ACTIVE) when it does not exist yet.</summary>
    public bool CreateIfNotExists { get; set; } = true;

    /// <summary>Provisioned read capacity of a created table and its indexes; 0 (with <see cref="WriteCapacityUnits"/> 0) means pay per request.</summary>
    public int ReadCapacityUnits { get; set; }

    /// <summary>Provisioned write capacity of a created table and its indexes; 0 (with <see cref="ReadCapacityUnits"/> 0) means pay per request.</summary>
    public int WriteCapacityUnits { get; set; }

    /// <summary>SDK retries per request (throttling and transient faults, standard retry mode with backoff).</summary>
    public int MaxErrorRetry { get; set; } = 8;
}
