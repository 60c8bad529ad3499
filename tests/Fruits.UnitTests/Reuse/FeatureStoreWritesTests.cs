using System.Collections.Concurrent;
using Fruits.Grains;
using Fruits.Pipeline.Reuse;
using Fruits.Pipeline.Storage;
using Fruits.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fruits.UnitTests.Reuse;

public sealed class FeatureStoreWritesTests
{
    [Fact]
    public async Task A_job_flush_waits_for_that_jobs_writes_only()
    {
        var writes = new FeatureStoreWrites(NullLogger<FeatureStoreWrites>.Instance);
        var mine = new TaskCompletionSource();
        var theirs = new TaskCompletionSource();
        writes.Track("job-a", mine.Task);
        writes.Track("job-b", theirs.Task);

        var flush = writes.FlushAsync("job-a");
        Assert.False(flush.IsCompleted);
        mine.SetResult();
        await flush.WaitAsync(TimeSpan.FromSeconds(10));

        // Another job's write still running does not hold this job's flush, nor a flush of a job with none.
        await writes.FlushAsync("job-a").WaitAsync(TimeSpan.FromSeconds(10));
        await writes.FlushAsync("job-c").WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(writes.FlushAsync("job-b").IsCompleted);
        theirs.SetResult();
        await writes.FlushAsync("job-b").WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_stopping_silo_waits_for_every_write_until_its_deadline()
    {
        var writes = new FeatureStoreWrites(NullLogger<FeatureStoreWrites>.Instance);
        var pending = new TaskCompletionSource();
        writes.Track("job-a", pending.Task);
        writes.Track("job-b", Task.CompletedTask);

        using var deadline = new CancellationTokenSource();
        var all = writes.FlushAllAsync(deadline.Token);
        Assert.False(all.IsCompleted);
        await deadline.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => all);

        pending.SetResult();
        await writes.FlushAllAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Misses_are_gathered_into_segments_of_a_full_batch_and_the_rest_is_written_by_the_flush()
    {
        using var temp = new TempDirectory("fruits-store-writes");
        const int Dimension = 4;
        var store = new FeatureStore(new LocalObjectStore(temp.Path));
        var index = new FeatureStoreIndex();
        var writes = new FeatureStoreWrites(NullLogger<FeatureStoreWrites>.Instance);
        var hashes = Enumerable.Range(0, 90).Select(i => ContentHash.Of(BitConverter.GetBytes(i))).ToList();
        var features = Enumerable.Range(0, 90 * Dimension).Select(i => (float)i).ToArray();

        // Three batches of 30 misses, each every other row of its own block of 60 rows.
        for (var batch = 0; batch < 3; batch++)
        {
            var rows = Enumerable.Range(0, 30).Select(r => 2 * r).ToList();
            var block = new float[60 * Dimension];
            for (var r = 0; r < 30; r++)
            {
                features.AsSpan(((batch * 30) + r) * Dimension, Dimension).CopyTo(block.AsSpan(rows[r] * Dimension));
            }

            writes.Store("job", "ns", store, index, hashes.GetRange(batch * 30, 30), [.. Enumerable.Repeat<UInt128?>(null, 30)], rows, block, Dimension);
        }

        // The first 64 rows went as one segment; the flush writes the other 26.
        await writes.FlushAsync("job");
        var fresh = new FeatureStoreIndex();
        Assert.Equal(2, await store.RefreshAsync(fresh));
        var destination = new float[90 * Dimension];
        var hits = hashes.Select((h, i) => (Found: fresh.TryFind(h, out var entry), Hit: new FeatureStoreHit(h, entry, i))).ToList();
        Assert.All(hits, h => Assert.True(h.Found));
        Assert.Empty(await store.ReadAsync([.. hits.Select(h => h.Hit)], destination, Dimension));
        Assert.Equal(features, destination);

        // Nothing is left to write, and gathering starts afresh after a flush.
        await writes.FlushAsync("job");
        Assert.Equal(0, await store.RefreshAsync(fresh));
    }

    [Fact]
    public async Task A_segment_is_written_on_the_thread_pool_not_on_the_scheduler_of_the_featurizer_that_handed_it_over()
    {
        using var temp = new TempDirectory("fruits-store-writes");
        const int Dimension = 4;
        var store = new FeatureStore(new LaterStore(new LocalObjectStore(temp.Path)));
        var writes = new FeatureStoreWrites(NullLogger<FeatureStoreWrites>.Instance);
        var rows = FeatureStoreWrites.SegmentRows;
        var hashes = Enumerable.Range(0, rows).Select(i => ContentHash.Of(BitConverter.GetBytes(i))).ToList();
        var features = Enumerable.Range(0, rows * Dimension).Select(i => (float)i).ToArray();

        // A featurizer's turn hands over a full segment's misses, and its activation then stays busy (the next batch's
        // inference): nothing queued on its scheduler runs again.
        var activation = new HeldScheduler();
        var handedOver = Task.Factory.StartNew(
            () => writes.Store("job", "ns", store, new FeatureStoreIndex(), hashes, [.. Enumerable.Repeat<UInt128?>(null, rows)], [.. Enumerable.Range(0, rows)], features, Dimension),
            CancellationToken.None,
            TaskCreationOptions.None,
            activation);
        // On a pool thread, as a grain's turn runs: with no synchronization context, a continuation goes back to the
        // scheduler of the task that awaited.
        await Task.Run(activation.RunQueued);
        await handedOver;

        // The segment and its index file are written and synced all the same, and no step of the write came back to
        // wait on that activation.
        await writes.FlushAsync("job").WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(1, await store.RefreshAsync(new FeatureStoreIndex()));
        Assert.Equal(0, activation.Queued);
    }

    /// <summary>A store whose writes complete after the call returns, as S3's always do.</summary>
    private sealed class LaterStore(IObjectStore inner) : ObjectStoreDecorator(inner)
    {
        public override async Task WriteAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            await Inner.WriteAsync(key, content, cancellationToken);
        }
    }

    /// <summary>A scheduler that runs what is queued on it only when told, as a grain activation busy with a turn.</summary>
    private sealed class HeldScheduler : TaskScheduler
    {
        private readonly ConcurrentQueue<Task> _queued = new();

        public int Queued => _queued.Count;

        public void RunQueued()
        {
            while (_queued.TryDequeue(out var task))
            {
                TryExecuteTask(task);
            }
        }

        protected override void QueueTask(Task task) => _queued.Enqueue(task);

        protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) => false;

        protected override IEnumerable<Task> GetScheduledTasks() => _queued;
    }
}
