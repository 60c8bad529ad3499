using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fruits.Grains.Hosting;

/// <summary>
/// Warms the silo's featurizer sessions before the silo becomes active, so the first batches of the first
/// job run at full speed. A model that cannot be loaded here is logged, not fatal: the silo still serves
/// status and the job that needs the model fails with the reason.
/// </summary>
internal sealed class FeaturizerWarmup(
    FeaturizerSessionPool pool,
    IOptions<FeaturizerOptions> options,
    ILogger<FeaturizerWarmup> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(FeaturizerWarmup), ServiceLifecycleStage.ApplicationServices, WarmAsync);

    private async Task WarmAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.WarmSessionsOnStart)
        {
            return;
        }

        try
        {
            await pool.WarmAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning("Featurizer sessions not warmed; jobs will build them on first use: {Reason}", e.Message.ReplaceLineEndings(" "));
        }
    }
}
