using System.Collections.Concurrent;

namespace Fruits.Grains;

/// <summary>
/// This silo's feature-store writes that are still running, by job. A batch hands its store write over here and
/// returns as soon as its own parts are durable: the store is a cache, so syncing its segment need not hold the
/// batch's slot while the next batch could be running the model. The job waits for a silo's writes when it takes
/// that silo's statistics (so a finished job has stored what it featurized), and a stopping silo waits for all.
/// </summary>
public sealed class FeatureStoreWrites
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<Task, byte>> _pending = new(StringComparer.Ordinal);

    /// <param name="write">A write that reports its own failure and never throws.</param>
    public void Track(string jobId, Task write)
    {
        ArgumentNullException.ThrowIfNull(write);
        if (write.IsCompleted)
        {
            return;
        }

        var writes = _pending.GetOrAdd(jobId, _ => new ConcurrentDictionary<Task, byte>());
        writes[write] = 0;
        _ = write.ContinueWith(done => writes.TryRemove(done, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Completes once every write <paramref name="jobId"/> handed over so far is done.</summary>
    public async Task FlushAsync(string jobId)
    {
        if (_pending.TryGetValue(jobId, out var writes))
        {
            await Task.WhenAll(writes.Keys);
            if (writes.IsEmpty)
            {
                _pending.TryRemove(new KeyValuePair<string, ConcurrentDictionary<Task, byte>>(jobId, writes));
            }
        }
    }

    public Task FlushAllAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(_pending.Values.SelectMany(writes => writes.Keys)).WaitAsync(cancellationToken);
}
