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
    /// The job already holds the statistics of the rows it expects (<see cref="BatchResult.RowsDigest"/> tells it
    /// whether it got them): the batch's rows are not added to its silo's statistics.
    /// </summary>
    [Id(6)] public bool SkipStatistics { get; init; }
}
