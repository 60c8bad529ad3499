using Fruits.Grains.Placement;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace Fruits.Grains;

/// <summary>The job's entry point into one silo; forwards to that silo's local stateless workers.</summary>
[SiloBoundPlacement, Reentrant]
public sealed class SiloWorkerGrain(IOptions<FeaturizerOptions> options) : Grain, ISiloWorkerGrain
{
    public Task<int> GetCapacity() => Task.FromResult(options.Value.EffectiveConcurrency);

    public Task<BatchOutcome> Featurize(FeaturizeRequest request) =>
        GrainFactory.GetGrain<IFeaturizerGrain>(0).Featurize(request);

    public Task<BatchOutcome> Project(ProjectRequest request) =>
        GrainFactory.GetGrain<IProjectorGrain>(0).Project(request);

    public Task<BatchOutcome> Restate(RestateRequest request) =>
        GrainFactory.GetGrain<IPartStatisticsGrain>(0).Restate(request);
}
