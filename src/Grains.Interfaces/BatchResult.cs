namespace Fruits.Grains.Interfaces;

/// <summary>What a featurized (or projected) batch reports back to its job.</summary>
[GenerateSerializer, Immutable, Alias("Fruits.BatchResult")]
public sealed record BatchResult(
    [property: Id(0)] int BatchIndex,
    [property: Id(1)] int Succeeded,
    [property: Id(2)] int Failed,
    [property: Id(3)] string Silo,
    [property: Id(4)] double Seconds,
    [property: Id(5)] IReadOnlyList<ScatterPointData>? Points = null)
{
    /// <summary>Of <see cref="Succeeded"/>, the images whose features came from the feature store.</summary>
    [Id(6)] public int Reused { get; init; }

    /// <summary>
    /// Names the featurize call that produced this result, so the projection can tell the features that call kept in
    /// its silo's memory from those of any other attempt at the batch. Empty when nothing was kept.
    /// </summary>
    [Id(7)] public Guid Attempt { get; init; }

    /// <summary>
    /// Each featurized row's content hash, its first 16 bytes big-endian, in row order: what the job's statistics are
    /// computed from. Null when the job uses no feature store, so images are not hashed.
    /// </summary>
    [Id(8)] public byte[]? RowHashes { get; init; }
}
