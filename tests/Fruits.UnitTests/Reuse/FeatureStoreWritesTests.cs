using Fruits.Grains;

namespace Fruits.UnitTests.Reuse;

public sealed class FeatureStoreWritesTests
{
    [Fact]
    public async Task A_job_flush_waits_for_that_jobs_writes_only()
    {
        var writes = new FeatureStoreWrites();
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
        var writes = new FeatureStoreWrites();
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
}
