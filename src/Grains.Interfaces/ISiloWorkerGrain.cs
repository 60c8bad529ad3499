namespace Fruits.Grains;

/// <summary>
/// One per silo, keyed by the silo's address and activated on that silo. Stateless workers only run on the
/// calling silo, so the job reaches every silo's featurizers through this grain.
/// </summary>
[Alias("Fruits.ISiloWorkerGrain")]
public interface ISiloWorkerGrain : IGrainWithStringKey
{
    /// <summary>How many batches this silo runs at once.</summary>
    [Alias("GetCapacity")]
    Task<int> GetCapacity();

    /// <summary>
    /// Whether this silo can featurize (its model loads and is the expected one) and its capacity; a silo that is
    /// not ready reports capacity 0 and the reason.
    /// </summary>
    [Alias("GetReadiness")]
    Task<SiloReadiness> GetReadiness();

    [Alias("Featurize"), ResponseTimeout("00:10:00")]
    Task<BatchOutcome> Featurize(FeaturizeRequest request);

    [Alias("Project"), ResponseTimeout("00:10:00")]
    Task<BatchOutcome> Project(ProjectRequest request);

    [Alias("Restate"), ResponseTimeout("00:10:00")]
    Task<BatchOutcome> Restate(RestateRequest request);
}
