using Fruits.Grains.Placement;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace Fruits.Grains;

/// <summary>The job's entry point into one silo; forwards to that silo's local stateless workers.</summary>
[SiloBoundPlacement, Reentrant]
public sealed class SiloWorkerGrain(IOptions<FeaturizerOptions> options, ILogger<SiloWorkerGrain> logger) : Grain, ISiloWorkerGrain
{
    public Task<int> GetCapacity() => Task.FromResult(options.Value.EffectiveConcurrency);

    public Task<SiloReadiness> GetReadiness() => ServiceProvider.GetRequiredService<FeaturizerReadiness>().GetAsync();

    public Task<BatchOutcome> Featurize(FeaturizeRequest request) =>
        ForwardAsync("featurize", request.JobId, request.BatchIndex, () => GrainFactory.GetGrain<IFeaturizerGrain>(0).Featurize(request));

    public Task<BatchOutcome> Project(ProjectRequest request) =>
        ForwardAsync("project", request.JobId, request.BatchIndex, () => GrainFactory.GetGrain<IProjectorGrain>(0).Project(request));

    public Task<BatchOutcome> Restate(RestateRequest request) =>
        ForwardAsync("restate", request.JobId, request.BatchIndex, () => GrainFactory.GetGrain<IPartStatisticsGrain>(0).Restate(request));

    private async Task<BatchOutcome> ForwardAsync(string step, string jobId, int batchIndex, Func<Task<BatchOutcome>> call)
    {
        using var scope = logger.BeginBatchScope(jobId, batchIndex);
        logger.LogDebug("Job {JobId} batch {BatchIndex}: {Step} on this silo", jobId, batchIndex, step);
        try
        {
            return await call();
        }
        catch (Exception e)
        {
            // The job re-dispatches the batch; this line says on which silo, and why, it failed.
            logger.LogWarning("Job {JobId} batch {BatchIndex}: {Step} failed: {Reason}", jobId, batchIndex, step, e.Message);
            throw;
        }
    }
}
