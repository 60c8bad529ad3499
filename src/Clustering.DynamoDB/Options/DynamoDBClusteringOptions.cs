namespace Orleans.Configuration;

/// <summary>Silo-side options of the DynamoDB membership table.</summary>
public sealed class DynamoDBClusteringOptions : DynamoDBTableOptions
{
    /// <summary>Create the table (and wait until it is ACTIVE) when it does not exist yet.</summary>
    public bool CreateIfNotExists { get; set; } = true;

    /// <summary>Provisioned read capacity for a created table; 0 (with <see cref="WriteCapacityUnits"/> 0) means pay per request.</summary>
    public int ReadCapacityUnits { get; set; }

    /// <summary>Provisioned write capacity for a created table; 0 (with <see cref="ReadCapacityUnits"/> 0) means pay per request.</summary>
    public int WriteCapacityUnits { get; set; }
}
