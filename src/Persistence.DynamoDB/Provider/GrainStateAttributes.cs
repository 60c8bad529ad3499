namespace Fruits.Persistence.DynamoDB;

/// <summary>
/// Attribute names of the grain state table. They are those of the official provider, so a table written here stays
/// readable by it and the other way round.
/// </summary>
internal static class GrainStateAttributes
{
    /// <summary>Partition key: <c>{ServiceId}_{GrainId}</c>.</summary>
    public const string GrainReference = "GrainReference";

    /// <summary>Sort key: the state name given to the provider (a grain may keep several states in one storage).</summary>
    public const string GrainType = "GrainType";

    /// <summary>The serialized state, binary; absent on an item that was cleared without being deleted.</summary>
    public const string State = "GrainState";

    /// <summary>Number, 0 on the first write and one more on every later write or clear.</summary>
    public const string ETag = "ETag";
}
