namespace Fruits.Grains.Interfaces;

/// <summary>What one loaded shard holds.</summary>
[GenerateSerializer, Immutable, Alias("Fruits.IndexShardSummary")]
public sealed record IndexShardSummary(
    [property: Id(0)] int Rows,
    [property: Id(1)] int Dimensions,
    [property: Id(2)] double BytesPerRow,
    [property: Id(3)] IReadOnlyList<string> Labels,
    [property: Id(4)] string Silo);
