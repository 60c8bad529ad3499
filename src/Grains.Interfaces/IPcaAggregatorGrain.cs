namespace Fruits.Grains.Interfaces;

/// <summary>One per job: merges partial statistics (each batch id at most once) and fits the PCA.</summary>
[Alias("Fruits.IPcaAggregatorGrain")]
public interface IPcaAggregatorGrain : IGrainWithStringKey
{
    /// <summary>
    /// Merges statistics covering exactly <paramref name="batches"/>. Refused (false) when any of them is
    /// merged already, since part of a partial cannot be taken back: the caller rebuilds those batches' statistics one by one.
    /// </summary>
    [Alias("Merge"), ResponseTimeout("00:05:00")]
    Task<bool> Merge(int[] batches, MomentStatisticsData statistics);

    /// <summary>The batch ids merged so far and the images they count.</summary>
    [Alias("GetMerged")]
    Task<MergedBatches> GetMerged();

    /// <summary>Forgets everything merged, to rebuild from the stored parts.</summary>
    [Alias("Reset")]
    Task Reset();

    [Alias("Fit"), ResponseTimeout("00:10:00")]
    Task<PcaModelData> Fit(PcaSelectionData selection);

    /// <summary>Stores the merged statistics in the output, for a later refit to start from.</summary>
    [Alias("SaveMoments"), ResponseTimeout("00:05:00")]
    Task SaveMoments(StorageLocationData output);
}
