namespace Fruits.Grains.Interfaces;

/// <summary>
/// One per silo, keyed by the silo's address and activated on that silo. Stateless workers only run on the
/// calling silo, so the job reaches every silo's featurizers through this grain: it routes batches to them.
/// </summary>
[Alias("Fruits.ISiloRouterGrain")]
public interface ISiloRouterGrain : IGrainWithStringKey
{
    /// <summary>
    /// Whether this silo takes batches and how many at once: not ready (capacity 0, with the reason) while it drains
    /// for shutdown, or when its model cannot be loaded or is not the one the cluster expects.
    /// </summary>
    [Alias("GetReadiness")]
    Task<SiloReadiness> GetReadiness();

    [Alias("Featurize"), ResponseTimeout("00:10:00")]
    Task<BatchResult> Featurize(FeaturizeRequest request);

    [Alias("Project"), ResponseTimeout("00:10:00")]
    Task<BatchResult> Project(ProjectRequest request);

    [Alias("RebuildStatistics"), ResponseTimeout("00:10:00")]
    Task<BatchResult> RebuildStatistics(RebuildStatisticsRequest request);

    /// <summary>Hands over (and forgets) this silo's pre-merged statistics of the job, once its feature-store writes for the job are done.</summary>
    [Alias("TakeStatistics"), ResponseTimeout("00:05:00")]
    Task<SiloStatistics> TakeStatistics(string jobId);

    /// <summary>Whether an activation on this silo runs an attempt of the job now.</summary>
    [Alias("IsDriving")]
    Task<bool> IsDriving(string jobId);

    /// <summary>
    /// Loads (or refreshes, once per job) this silo's copy of the feature store's index for <paramref name="modelSha256"/>,
    /// which its featurizers would otherwise do at the job's first batch here.
    /// </summary>
    [Alias("OpenFeatureStore"), ResponseTimeout("00:05:00")]
    Task OpenFeatureStore(string jobId, StorageLocationData featureStore, string modelSha256);

    /// <summary>Drops whatever this silo holds for the job: a new attempt starts from the stored parts.</summary>
    [Alias("ForgetJob")]
    Task ForgetJob(string jobId);
}
