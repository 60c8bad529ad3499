namespace Fruits.Grains.Interfaces;

/// <summary>One batch of the plan: featurize the images its manifest lists and store the batch's part.</summary>
[GenerateSerializer, Immutable, Alias("Fruits.FeaturizeRequest")]
public sealed record FeaturizeRequest(
    [property: Id(0)] string JobId,
    [property: Id(1)] int BatchIndex,
    [property: Id(2)] StorageLocationData Input,
    [property: Id(3)] StorageLocationData Output)
{
    /// <summary>The feature store's root (null: off); images found there for <see cref="ModelSha256"/> are not featurized.</summary>
    [Id(4)] public StorageLocationData? FeatureStore { get; init; }

    /// <summary>The job's model, part of the feature store's key.</summary>
    [Id(5)] public string? ModelSha256 { get; init; }

    /// <summary>
    /// The images of the manifest whose rows the job's statistics already hold (bit i of byte i / 8: image i); their rows
    /// are not added to the silo's statistics. Null: none. The job checks what it was told against
    /// <see cref="BatchResult.RowHashes"/> before it trusts them.
    /// </summary>
    [Id(6)] public byte[]? SkipStatistics { get; init; }

    /// <summary>Whether <see cref="SkipStatistics"/> names image <paramref name="image"/> of the manifest.</summary>
    public bool SkipsStatisticsOf(int image) =>
        SkipStatistics is { } mask && image >> 3 < mask.Length && (mask[image >> 3] & (1 << (image & 7))) != 0;
}
