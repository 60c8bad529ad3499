namespace Fruits.Grains.Interfaces;

/// <summary>
/// Which parts of an output one index shard holds. Every call to a shard carries it, so a shard that lost its silo
/// reloads wherever it is activated next without asking anyone.
/// </summary>
[GenerateSerializer, Immutable, Alias("Fruits.IndexShardSpec")]
public sealed record IndexShardSpec(
    [property: Id(0)] string Output,
    [property: Id(1)] IReadOnlyList<string> Parts);
