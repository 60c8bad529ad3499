namespace Fruits.Grains.Interfaces;

/// <summary>What a user asked for: featurize the images under <see cref="Input"/>, fit and apply the PCA, and write the result to <see cref="Output"/>.</summary>
[GenerateSerializer, Immutable, Alias("Fruits.JobSpec")]
public sealed record JobSpec(
    [property: Id(0)] StorageLocationData Input,
    [property: Id(1)] StorageLocationData Output,
    [property: Id(2)] PcaSelectionData Selection,
    [property: Id(3)] int BatchSize,
    [property: Id(4)] bool Overwrite = false,
    [property: Id(5)] StorageLocationData? FeatureStore = null,
    [property: Id(6)] bool NoFeatureStore = false,
    [property: Id(7)] long PartSizeBytes = 0)
{
    /// <summary>Final parts' target size when the spec names none (0): what Spark, DuckDB and Athena read well.</summary>
    public const long DefaultPartSizeBytes = 128L * 1024 * 1024;

    public long EffectivePartSizeBytes => PartSizeBytes > 0 ? PartSizeBytes : DefaultPartSizeBytes;

    public const int DefaultBatchSize = 64;

    /// <summary>
    /// The most components a job can keep: the length of the featurizer's vectors (MobileNetV2's pooled features,
    /// <c>OnnxFeaturizer.FeatureLength</c> in the pipeline, which a test keeps equal to this).
    /// </summary>
    public const int MaxComponents = 1280;

    /// <summary>
    /// The one place the spec's rules live: the client checks them before connecting, the job grain again
    /// because any client (or an older one) may call it. Messages name the command-line option.
    /// </summary>
    /// <exception cref="ArgumentException">The first rule the spec breaks, as one line.</exception>
    public void Validate()
    {
        if (Selection.FixedK is { } k && k is < 1 or > MaxComponents)
        {
            throw new ArgumentException($"--k must be within [1, {MaxComponents}], got {k}");
        }

        if (Selection.FixedK is null && Selection.Threshold is not (> 0 and <= 1))
        {
            throw new ArgumentException($"--threshold must be within (0, 1], got {Selection.Threshold}");
        }

        if (NoFeatureStore && FeatureStore is not null)
        {
            throw new ArgumentException("give either --feature-store or --no-feature-store, not both");
        }

        if (PartSizeBytes < 0)
        {
            throw new ArgumentException($"--part-size must be positive, got {PartSizeBytes}");
        }

        if (BatchSize <= 0)
        {
            throw new ArgumentException($"--batch-size must be positive, got {BatchSize}");
        }
    }

    /// <summary>Two submissions are the same job when everything but <see cref="Overwrite"/> matches.</summary>
    public bool SameWorkAs(JobSpec other) => this with { Overwrite = false } == other with { Overwrite = false };
}
