namespace Fruits.Grains.Interfaces;

/// <summary>
/// Phase 2 for one final part: read the features parts of its batches, project them, write the part. Without
/// <see cref="Batches"/>, the part is batch <see cref="BatchIndex"/> alone.
/// </summary>
[GenerateSerializer, Immutable, Alias("Fruits.ProjectRequest")]
public sealed record ProjectRequest(
    [property: Id(0)] string JobId,
    [property: Id(1)] int BatchIndex,
    [property: Id(2)] StorageLocationData Output)
{
    /// <summary>The batches whose rows make part <see cref="BatchIndex"/>, in order.</summary>
    [Id(3)] public IReadOnlyList<int>? Batches { get; init; }

    /// <summary>Rows per row group of the part (whole batches; 0: one row group per batch).</summary>
    [Id(4)] public int RowGroupRows { get; init; }

    /// <summary>
    /// For each of <see cref="Batches"/>, the featurize call the job accepted for it (<see cref="BatchResult.Attempt"/>;
    /// empty for a batch resumed from storage): a silo that still holds that call's features projects from memory.
    /// </summary>
    [Id(5)] public IReadOnlyList<Guid>? Attempts { get; init; }
}
