using Fruits.Grains;
using Fruits.Pipeline.Reuse;
using Fruits.Pipeline.Storage;
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
}
