using System.Diagnostics;
using Fruits.Grains.Interfaces;
using Fruits.Pipeline.Output;
using Fruits.Pipeline.Storage;
using Microsoft.Extensions.Logging;

namespace Fruits.Grains;

/// <summary>
/// One job per output at a time: takes the output's lock for a job, and decides when another holder is stale and
/// may be replaced: its job ended; or it ran in a process that is gone, on a silo whose jobs nobody resumes (the
/// embedded and localhost silos keep reminders in memory) or in a cluster whose store does not know the job.
/// </summary>
public sealed partial class OutputClaim(IGrainFactory grains, JobsOptions options, string silo, ILogger logger)
{
    private const int Attempts = 3;
    private static readonly TimeSpan UnknownHolderLifetime = TimeSpan.FromDays(7);

    /// <summary>This process and silo, as the lock records its owner: "host/pid/silo".</summary>
    public string Owner { get; } = $"{Environment.MachineName}/{Environment.ProcessId}/{silo}";

    /// <exception cref="InvalidOperationException">Another live job holds the output.</exception>
    public async Task ClaimAsync(IObjectStore store, string jobId, CancellationToken cancellationToken = default)
    {
        var holder = await OutputLock.TryAcquireAsync(store, jobId, Owner, cancellationToken);
        for (var attempt = 0; holder is not null; attempt++)
        {
            if (attempt == Attempts || !await IsStaleAsync(holder))
            {
                throw new InvalidOperationException(
                    $"{store.Root} is in use by {holder}; wait for that job to end, or stop it with `fruits cancel {holder.JobId}` (two jobs must not share an output)");
            }

            LogTakingOver(jobId, store.Root, holder.ToString());
            holder = await OutputLock.TakeOverAsync(store, holder, jobId, Owner, cancellationToken);
        }

        // A job resumed in another process holds its own lock under its old owner: record where it runs now, so the
        // rule about gone processes judges the right one.
        if (await OutputLock.ReadHolderAsync(store, cancellationToken) is { } mine && mine.JobId == jobId && mine.Owner != Owner)
        {
            await OutputLock.TakeOverAsync(store, mine, jobId, Owner, cancellationToken);
        }
    }

    public Task ReleaseAsync(IObjectStore store, string jobId, CancellationToken cancellationToken = default) =>
        OutputLock.ReleaseAsync(store, jobId, cancellationToken);

    private async Task<bool> IsStaleAsync(OutputLockHolder holder)
    {
        if (holder == OutputLockHolder.Unreadable)
        {
            return true;
        }

        var job = grains.GetGrain<IJobGrain>(holder.JobId);
        var status = await job.GetStatus();
        if (status.IsFinished)
        {
            return true;
        }

        if (status.Phase == JobPhase.NotStarted)
        {
            // A job this cluster's store does not know (another cluster's, or a store since wiped): its process is the
            // only evidence; a lock that old is past any job's life.
            return ProcessIsGone(holder.Owner) || DateTimeOffset.UtcNow - holder.AcquiredUtc > UnknownHolderLifetime;
        }

        if (!options.DurableReminders && !status.Running && ProcessIsGone(holder.Owner))
        {
            // Nobody will ever resume it: end its record, so it is not listed as running forever.
            await job.Cancel();
            return true;
        }

        return false;
    }

    /// <summary>True when <paramref name="owner"/> names a process on the host this silo runs on, and that process no longer runs.</summary>
    private static bool ProcessIsGone(string owner)
    {
        var parts = owner.Split('/', 3);
        if (parts.Length != 3 || parts[0] != Environment.MachineName || !int.TryParse(parts[1], out var pid))
        {
            return false;
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            return process.HasExited;
        }
        catch (ArgumentException)
        {
            return true;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: taking over {Output} from {Holder}, which is stale")]
    private partial void LogTakingOver(string jobId, string output, string holder);
}
