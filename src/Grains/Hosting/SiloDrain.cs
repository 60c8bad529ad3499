using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fruits.Grains.Hosting;

/// <summary>
/// On shutdown (SIGTERM from ECS scale-in or a deployment), before the silo leaves the cluster: stop taking
/// batches and let those in flight finish within <see cref="JobsOptions.DrainTimeout"/>. Jobs see the silo as not
/// ready and hand its share to the others; a batch still running at the deadline is lost with the silo and
/// re-dispatched, never counted twice. Feature-store writes still running are given the same deadline: a write
/// cut short leaves no entry, only a later job's work to redo.
/// </summary>
internal sealed partial class SiloDrain(SiloWorkload workload, FeatureStoreWrites storeWrites, IOptions<JobsOptions> options, ILogger<SiloDrain> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(SiloDrain), ServiceLifecycleStage.Active, _ => Task.CompletedTask, DrainAsync);

    private async Task DrainAsync(CancellationToken cancellationToken)
    {
        var inFlight = workload.InFlight;
        LogDraining(inFlight);
        var drained = DrainBatchesThenStoreWritesAsync();
        var finished = await Task.WhenAny(drained, Task.Delay(options.Value.DrainTimeout, CancellationToken.None));
        if (finished == drained)
        {
            LogDrained();
        }
        else
        {
            LogDrainTimedOut(workload.InFlight, options.Value.DrainTimeout);
        }
    }

    private async Task DrainBatchesThenStoreWritesAsync()
    {
        await workload.DrainAsync();
        await storeWrites.FlushAllAsync(CancellationToken.None);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Silo stopping: taking no new batches, {InFlight} in flight")]
    private partial void LogDraining(int inFlight);

    [LoggerMessage(Level = LogLevel.Information, Message = "Silo drained: every batch in flight finished")]
    private partial void LogDrained();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Silo stopping with {InFlight} batches still in flight after {Timeout}; their jobs re-dispatch them")]
    private partial void LogDrainTimedOut(int inFlight, TimeSpan timeout);
}
