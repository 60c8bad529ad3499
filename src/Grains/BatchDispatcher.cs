using System.Diagnostics;
using Fruits.Grains.Interfaces;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace Fruits.Grains;

/// <summary>
/// Keeps every ready silo busy up to its capacity with one phase's batches. A batch whose call failed because
/// its silo went away (died, left, drains for shutdown) is handed to another silo without being charged; a batch
/// that keeps failing on working silos fails the job; a silo that keeps failing is rested, longer each time.
/// </summary>
public sealed partial class BatchDispatcher(IGrainFactory grains, JobsOptions options, ILogger logger, string jobId)
{
    private static readonly TimeSpan MembershipRefresh = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan ReadinessTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(1);

    private readonly Dictionary<string, SiloSlot> _silos = new(StringComparer.Ordinal);
    private DateTime _lastReadySilo = DateTime.UtcNow;

    /// <summary>The model every batch of the job must be featurized with; a silo with another model takes no work.</summary>
    public string? RequiredModelSha256 { get; private set; }

    /// <summary>How many batches the silos that can take work now run at once, as of the last look at the cluster.</summary>
    public int ReadyCapacity => _silos.Values.Where(s => s.CanTakeWork).Sum(s => s.Capacity);

    /// <summary>The silos that can take work now, as of the last look at the cluster.</summary>
    public IReadOnlyList<string> ReadySilos => [.. _silos.Where(s => s.Value.CanTakeWork).Select(s => s.Key)];

    /// <summary>
    /// Settles the job's model: the one of <paramref name="preferredSilo"/> (the job's own) when that silo is ready,
    /// else the one most ready silos have. Waits for a ready silo up to <see cref="JobsOptions.NoReadySiloTimeout"/>,
    /// then fails with every silo's reason.
    /// </summary>
    public async Task<string> AgreeOnModelAsync(string preferredSilo, CancellationToken cancellationToken)
    {
        _lastReadySilo = DateTime.UtcNow;
        while (true)
        {
            await RefreshSilosAsync();
            var ready = _silos.Where(s => s.Value.Ready && s.Value.ModelSha256 is not null).ToList();
            if (ready.Count > 0)
            {
                RequiredModelSha256 = ready.FirstOrDefault(s => s.Key == preferredSilo).Value?.ModelSha256
                    ?? ready.GroupBy(s => s.Value.ModelSha256).OrderByDescending(g => g.Count()).First().Key!;
                foreach (var slot in _silos.Values)
                {
                    slot.Require(RequiredModelSha256);
                }

                return RequiredModelSha256;
            }

            ThrowIfNoSiloCanWork();
            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
        }
    }

    /// <summary>
    /// Runs <paramref name="call"/> for every batch; <paramref name="completed"/> gets each result with the key of the
    /// silo worker that produced it. On cancellation no new batch is handed out, and those in flight are awaited.
    /// </summary>
    public async Task RunAsync(
        IEnumerable<int> batches,
        Func<ISiloRouterGrain, int, Task<BatchResult>> call,
        Func<BatchResult, string, Task> completed,
        CancellationToken cancellationToken)
    {
        var queue = new Queue<int>(batches);
        var charged = new Dictionary<int, int>();
        var running = new Dictionary<Task<BatchResult>, (int Batch, string Silo)>();
        var refreshed = Stopwatch.StartNew();
        var refreshNow = true;
        _lastReadySilo = DateTime.UtcNow;

        while ((queue.Count > 0 && !cancellationToken.IsCancellationRequested) || running.Count > 0)
        {
            if (refreshNow || refreshed.Elapsed > MembershipRefresh)
            {
                await RefreshSilosAsync();
                refreshed.Restart();
                refreshNow = false;
            }

            if (!cancellationToken.IsCancellationRequested)
            {
                foreach (var (silo, slot) in _silos.Where(s => s.Value.CanTakeWork).OrderBy(s => s.Value.Load))
                {
                    while (queue.Count > 0 && slot.Load < slot.Capacity)
                    {
                        var batch = queue.Dequeue();
                        running[call(grains.GetGrain<ISiloRouterGrain>(silo), batch)] = (batch, silo);
                        slot.Load++;
                    }
                }
            }

            if (running.Count == 0)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    break;
                }

                ThrowIfNoSiloCanWork();
                await Task.Delay(TimeSpan.FromMilliseconds(500), CancellationToken.None);
                refreshNow = true;
                continue;
            }

            // Wake up for membership changes too, so a joining silo gets work while long batches run.
            var tick = Task.Delay(MembershipRefresh, CancellationToken.None);
            var finished = await Task.WhenAny(running.Keys.Append<Task>(tick));
            if (finished == tick)
            {
                continue;
            }

            var done = (Task<BatchResult>)finished;
            var (doneBatch, doneSilo) = running[done];
            running.Remove(done);
            var doneSlot = _silos.GetValueOrDefault(doneSilo);
            if (doneSlot is not null)
            {
                doneSlot.Load = Math.Max(0, doneSlot.Load - 1);
            }

            BatchResult result;
            try
            {
                result = await done;
            }
            catch (Exception e)
            {
                await RefreshSilosAsync();
                refreshed.Restart();
                var siloGone = SiloLoss.Is(e) || !_silos.TryGetValue(doneSilo, out var slot) || !slot.Ready;
                if (siloGone)
                {
                    LogHandedBack(jobId, doneBatch, doneSilo, OneLine(e));
                }
                else
                {
                    var attempt = charged[doneBatch] = charged.GetValueOrDefault(doneBatch) + 1;
                    if (attempt >= options.MaxBatchAttempts)
                    {
                        throw new InvalidOperationException($"batch {doneBatch} failed {attempt} times, last on {doneSilo}: {OneLine(e)}", e);
                    }

                    _silos[doneSilo].Failed(options.SiloFailuresBeforeBackoff, MaxBackoff);
                    LogBatchFailed(jobId, doneBatch, doneSilo, attempt, OneLine(e));
                }

                queue.Enqueue(doneBatch);
                continue;
            }

            doneSlot?.Succeeded();
            await completed(result, doneSilo);
        }
    }

    private void ThrowIfNoSiloCanWork()
    {
        if (_silos.Values.Any(s => s.CanTakeWork) || _silos.Values.Any(s => s.Ready && s.RestingUntil > DateTime.UtcNow))
        {
            _lastReadySilo = DateTime.UtcNow;
            return;
        }

        if (DateTime.UtcNow - _lastReadySilo > options.NoReadySiloTimeout)
        {
            var reasons = _silos.Count == 0
                ? "no silo answered"
                : string.Join("; ", _silos.Select(s => $"{s.Key}: {s.Value.NotReadyReason ?? "not ready"}"));
            throw new InvalidOperationException($"no silo can featurize ({reasons})");
        }
    }

    private async Task RefreshSilosAsync()
    {
        Dictionary<SiloAddress, SiloStatus> hosts;
        try
        {
            hosts = await grains.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true).WaitAsync(ReadinessTimeout);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Membership itself is settling (a silo just died): keep the last view and try again shortly.
            LogMembershipUnavailable(jobId, OneLine(e));
            return;
        }

        var active = hosts.Keys.Select(s => s.ToParsableString()).ToHashSet(StringComparer.Ordinal);
        foreach (var gone in _silos.Keys.Where(s => !active.Contains(s)).ToList())
        {
            _silos.Remove(gone);
        }

        await Task.WhenAll(active.Select(async silo =>
        {
            SiloReadiness readiness;
            try
            {
                readiness = await grains.GetGrain<ISiloRouterGrain>(silo).GetReadiness().WaitAsync(ReadinessTimeout);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                readiness = new SiloReadiness(0, false, OneLine(e), null);
            }

            var slot = _silos.TryGetValue(silo, out var known) ? known : _silos[silo] = new SiloSlot();
            slot.Update(readiness);
            slot.Require(RequiredModelSha256);
        }));
    }

    private static string OneLine(Exception e) => $"{e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}";

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: batch {BatchIndex} handed back from {Silo}, which is gone or stopping, to another silo: {Reason}")]
    private partial void LogHandedBack(string jobId, int batchIndex, string silo, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: batch {BatchIndex} failed on {Silo} (attempt {Attempt}), re-dispatching: {Reason}")]
    private partial void LogBatchFailed(string jobId, int batchIndex, string silo, int attempt, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: membership not readable now, keeping the last view: {Reason}")]
    private partial void LogMembershipUnavailable(string jobId, string reason);

    /// <summary>What the dispatcher knows of one silo.</summary>
    private sealed class SiloSlot
    {
        private int _consecutiveFailures;
        private TimeSpan _backoff = TimeSpan.FromSeconds(2);

        public int Capacity { get; private set; }

        public bool Ready { get; private set; }

        public string? NotReadyReason { get; private set; }

        public string? ModelSha256 { get; private set; }

        public int Load { get; set; }

        public DateTime RestingUntil { get; private set; }

        public bool CanTakeWork => Ready && Capacity > 0 && RestingUntil <= DateTime.UtcNow;

        public void Update(SiloReadiness readiness)
        {
            Ready = readiness.Ready;
            Capacity = readiness.Capacity;
            NotReadyReason = readiness.Reason;
            ModelSha256 = readiness.ModelSha256;
        }

        /// <summary>Features of another model would not belong in the job's output.</summary>
        public void Require(string? modelSha256)
        {
            if (Ready && modelSha256 is not null && !string.Equals(ModelSha256, modelSha256, StringComparison.OrdinalIgnoreCase))
            {
                Ready = false;
                NotReadyReason = $"its model sha256 {ModelSha256} is not the job's {modelSha256}";
            }
        }

        public void Succeeded()
        {
            _consecutiveFailures = 0;
            _backoff = TimeSpan.FromSeconds(2);
        }

        public void Failed(int failuresBeforeBackoff, TimeSpan maxBackoff)
        {
            if (++_consecutiveFailures < failuresBeforeBackoff)
            {
                return;
            }

            RestingUntil = DateTime.UtcNow + _backoff;
            _backoff = TimeSpan.FromTicks(Math.Min(maxBackoff.Ticks, _backoff.Ticks * 2));
        }
    }
}
