using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fruits.Grains.Hosting;

/// <summary>
/// On shutdown (SIGTERM from ECS scale-in or a deployment), before the silo leaves the cluster: stop taking
/// batches and let those in flight finish within <see cref="JobsOptions.DrainTimeout"/>. Jobs see the silo as not
/// ready and hand its share to the others; a batch still running at the deadline is lost with the silo and
/// re-dispatched, never counted twice.
/// </summary>
internal sealed partial class SiloDrain(SiloWorkload workload, IOptions<JobsOptions> options, ILogger<SiloDrain> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(SiloDrain), ServiceLifecycleStage.Active, _ => Task.CompletedTask, DrainAsync);

    private async Task DrainAsync(CancellationToken cancellationToken)
    {
        var inFlight = workload.InFlight;
        LogDraining(inFlight);
        var drained = workload.DrainAsync();
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Silo stopping: taking no new batches, {InFlight} in flight")]
    private partial void LogDraining(int inFlight);

    [LoggerMessage(Level = LogLevel.Information, Message = "Silo drained: every batch in flight finished")]
    private partial void LogDrained();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Silo stopping with {InFlight} batches still in flight after {Timeout}; their jobs re-dispatch them")]
    private partial void LogDrainTimedOut(int inFlight, TimeSpan timeout);
}
