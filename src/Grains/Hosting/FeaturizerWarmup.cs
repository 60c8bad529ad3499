using Microsoft.Extensions.Options;

namespace Fruits.Grains.Hosting;

/// <summary>
/// Warms the silo's featurizer sessions before the silo becomes active, so the first batches of the first job run
/// at full speed, and so the silo knows whether it is ready before anyone asks. A missing model file has already
/// stopped the silo (the silo host's model file check); a file that ONNX Runtime cannot load does not stop it: the
/// silo joins and serves status but reports itself not ready (<see cref="FeaturizerReadiness"/>), so jobs send it no
/// batches. With warm-up off, the first readiness question decides instead.
/// </summary>
internal sealed class FeaturizerWarmup(FeaturizerReadiness readiness, IOptions<FeaturizerOptions> options) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(FeaturizerWarmup), ServiceLifecycleStage.ApplicationServices, WarmAsync);

    private async Task WarmAsync(CancellationToken cancellationToken)
    {
        if (options.Value.WarmSessionsOnStart)
        {
            // The verdict is logged and kept by the readiness service; a not-ready silo still starts.
            await readiness.WarmAsync(cancellationToken);
        }
    }
}
