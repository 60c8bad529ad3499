using Fruits.Grains.Interfaces;
using Fruits.Grains.Placement;
using Fruits.Pipeline.Imaging;
using Fruits.Pipeline.Reuse;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;

namespace Fruits.Grains;

/// <summary>The job's entry point into one silo: routes batches to this silo's local stateless workers.</summary>
[SiloBoundPlacement, Reentrant]
public sealed partial class SiloRouterGrain(
    SiloWorkload workload,
    SiloStatisticsStore statistics,
    ProjectionFeatureCache projectionCache,
    FeaturizerReadiness readiness,
    DrivenJobs drivenJobs,
    FeatureStoreWrites storeWrites,
    FeatureStoreCache featureStores,
    ILogger<SiloRouterGrain> logger) : Grain, ISiloRouterGrain
{
    /// <summary>Not ready while draining for shutdown; otherwise as the featurizer's model and sessions allow.</summary>
    public async Task<SiloReadiness> GetReadiness()
    {
        var verdict = await readiness.GetAsync();
        return workload.Draining ? verdict with { Capacity = 0, Ready = false, Reason = "silo is shutting down" } : verdict;
    }

    public Task<BatchResult> Featurize(FeaturizeRequest request) =>
        ForwardAsync("featurize", request.JobId, request.BatchIndex, () => GrainFactory.GetGrain<IFeaturizerGrain>(0).Featurize(request));

    public Task<BatchResult> Project(ProjectRequest request) =>
        ForwardAsync("project", request.JobId, request.BatchIndex, () => GrainFactory.GetGrain<IProjectorGrain>(0).Project(request));

    public Task<BatchResult> RebuildStatistics(RebuildStatisticsRequest request) =>
        ForwardAsync("statistics rebuild", request.JobId, request.BatchIndex, () => GrainFactory.GetGrain<IPartStatisticsGrain>(0).RebuildStatistics(request));

    // The job takes statistics after its last batch, so waiting here means a finished job has stored what it featurized.
    public async Task<SiloStatistics> TakeStatistics(string jobId)
    {
        await storeWrites.FlushAsync(jobId);
        return statistics.Take(jobId);
    }

    public Task<bool> IsDriving(string jobId) => Task.FromResult(drivenJobs.Contains(jobId));

    public async Task OpenFeatureStore(string jobId, StorageLocationData featureStore, string modelSha256) =>
        await featureStores.OpenAsync(featureStore.ToPipeline(), new FeatureStoreKey(modelSha256, ImagePreprocessor.Version), jobId);

    public Task ForgetJob(string jobId)
    {
        storeWrites.WriteGathered(jobId);
        statistics.Forget(jobId);
        projectionCache.Forget(jobId);
        return Task.CompletedTask;
    }

    private async Task<BatchResult> ForwardAsync(string step, string jobId, int batchIndex, Func<Task<BatchResult>> call)
    {
        using var scope = logger.BeginBatchScope(jobId, batchIndex);
        if (!workload.TryEnter())
        {
            throw new SiloDrainingException($"silo is shutting down; {step} of batch {batchIndex} goes to another silo");
        }

        try
        {
            LogForwarding(jobId, batchIndex, step);
            return await call();
        }
        catch (Exception e)
        {
            // The job re-dispatches the batch; this line says on which silo, and why, it failed.
            LogStepFailed(jobId, batchIndex, step, e.Message);
            throw;
        }
        finally
        {
            workload.Exit();
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Job {JobId} batch {BatchIndex}: {Step} on this silo")]
    private partial void LogForwarding(string jobId, int batchIndex, string step);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} batch {BatchIndex}: {Step} failed: {Reason}")]
    private partial void LogStepFailed(string jobId, int batchIndex, string step, string reason);
}
