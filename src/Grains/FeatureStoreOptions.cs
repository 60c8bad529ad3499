using Fruits.Grains.Interfaces;
using Fruits.Pipeline.Reuse;
using Fruits.Pipeline.Storage;

namespace Fruits.Grains;

/// <summary>The cluster's default feature store, bound from "Fruits" (the key "Fruits:FeatureStore").</summary>
public sealed class FeatureStoreOptions
{
    public const string Section = "Fruits";

    /// <summary>A folder or s3://bucket/prefix for jobs that name none; unset: beside each job's output.</summary>
    public string? FeatureStore { get; set; }

    /// <summary>
    /// Sets of rows whose statistics and fits a feature store keeps for later jobs (about 6.5 MB each): when a job keeps
    /// a new one, all but this many most recently written go. 0 keeps none, and removes what is kept.
    /// </summary>
    public int FeatureStoreKeptStatistics { get; set; } = 16;

    /// <summary>The store <paramref name="spec"/> uses: none, the one it names, this default, or the one beside its output.</summary>
    public StorageLocation? Resolve(JobSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.NoFeatureStore ? null
            : spec.FeatureStore is { } named ? named.ToPipeline()
            : !string.IsNullOrWhiteSpace(FeatureStore) ? StorageLocation.Parse(FeatureStore)
            : FeatureStoreLocation.BesideOutput(spec.Output.ToPipeline());
    }
}
