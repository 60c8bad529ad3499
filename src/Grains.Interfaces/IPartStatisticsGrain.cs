namespace Fruits.Grains.Interfaces;

/// <summary>
/// Recomputes a batch's partial statistics from its stored features part: how statistics lost with a
/// silo, or with a whole cluster, are recovered without featurizing again.
/// </summary>
[Alias("Fruits.IPartStatisticsGrain")]
public interface IPartStatisticsGrain : IGrainWithIntegerKey
{
    [Alias("RebuildStatistics"), ResponseTimeout("00:10:00")]
    Task<BatchResult> RebuildStatistics(RebuildStatisticsRequest request);
}
