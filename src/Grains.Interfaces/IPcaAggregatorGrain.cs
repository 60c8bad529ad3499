using Fruits.Pipeline.Statistics;

namespace Fruits.Grains;

/// <summary>One per job: merges partial statistics (once per batch id) and fits the PCA.</summary>
[Alias("Fruits.IPcaAggregatorGrain")]
public interface IPcaAggregatorGrain : IGrainWithStringKey
{
    /// <summary>Merges the statistics of <paramref name="batchIndex"/>; returns false when that batch was already merged.</summary>
    [Alias("Merge")]
    Task<bool> Merge(int batchIndex, MomentStatistics statistics);

    /// <summary>The batch ids merged so far (after a silo loss this may be fewer than were featurized).</summary>
    [Alias("MergedBatches")]
    Task<int[]> MergedBatches();

    [Alias("Fit"), ResponseTimeout("00:10:00")]
    Task<PcaModel> Fit(PcaSelection selection);

    /// <summary>The fitted model; null before <see cref="Fit"/>.</summary>
    [Alias("GetModel")]
    Task<PcaModel?> GetModel();
}
