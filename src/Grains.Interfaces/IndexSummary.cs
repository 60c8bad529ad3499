namespace Fruits.Grains.Interfaces;

/// <summary>
/// An output's in-memory index: how many rows of how many PCA dimensions, in how many shards, and what a row
/// costs in memory; or, when <see cref="Problem"/> is set, why there is no index (no finished job there).
/// </summary>
[GenerateSerializer, Immutable, Alias("Fruits.IndexSummary")]
public sealed record IndexSummary(
    [property: Id(0)] string Output,
    [property: Id(1)] string? Problem,
    [property: Id(2)] long Rows,
    [property: Id(3)] int Dimensions,
    [property: Id(4)] int Shards,
    [property: Id(5)] double BytesPerRow,
    [property: Id(6)] int Labels)
{
    public bool Found => Problem is null;
}
