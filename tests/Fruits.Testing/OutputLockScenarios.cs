using Fruits.Pipeline.Output;
using Fruits.Pipeline.Storage;

namespace Fruits.Testing;

/// <summary>Lock scenarios shared by the local and the S3 store tests, so both stores are held to the same rules.</summary>
public static class OutputLockScenarios
{
    public static async Task AcquireResumeRefuseAndReleaseAsync(IObjectStore store)
    {
        Assert.Null(await OutputLock.ReadHolderAsync(store));
        Assert.Null(await OutputLock.TryAcquireAsync(store, "job-1", "silo-a"));

        // The same job again (a resume, maybe from another silo) holds it already; another job is told who does.
        Assert.Null(await OutputLock.TryAcquireAsync(store, "job-1", "silo-b"));
        var holder = await OutputLock.TryAcquireAsync(store, "job-2", "silo-b");
        Assert.NotNull(holder);
        Assert.Equal(("job-1", "silo-a"), (holder.JobId, holder.Owner));
        Assert.Equal(holder, await OutputLock.ReadHolderAsync(store));

        Assert.False(await OutputLock.ReleaseAsync(store, "job-2"));
        Assert.Equal(holder, await OutputLock.ReadHolderAsync(store));
        Assert.True(await OutputLock.ReleaseAsync(store, "job-1"));
        Assert.Null(await OutputLock.ReadHolderAsync(store));
        Assert.False(await OutputLock.ReleaseAsync(store, "job-1"));

        Assert.Null(await OutputLock.TryAcquireAsync(store, "job-2", "silo-b"));
        Assert.True(await OutputLock.ReleaseAsync(store, "job-2"));
    }

    public static async Task ExactlyOneConcurrentAcquirerWinsAsync(IObjectStore store)
    {
        for (var round = 0; round < 3; round++)
        {
            var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(i =>
                Task.Run(() => OutputLock.TryAcquireAsync(store, $"job-{round}-{i}", $"silo-{i}"))));

            Assert.Single(results, r => r is null);
            var holder = await OutputLock.ReadHolderAsync(store);
            Assert.NotNull(holder);
            Assert.All(results.Where(r => r is not null), r => Assert.Equal(holder, r));
            Assert.True(await OutputLock.ReleaseAsync(store, holder.JobId));
        }
    }

    public static async Task ExactlyOneTakerOfAStaleLockWinsAsync(IObjectStore store)
    {
        for (var round = 0; round < 3; round++)
        {
            Assert.Null(await OutputLock.TryAcquireAsync(store, $"dead-{round}", "silo-gone"));
            var stale = await OutputLock.TryAcquireAsync(store, $"a-{round}", "silo-a");
            Assert.NotNull(stale);

            var results = await Task.WhenAll(
                Task.Run(() => OutputLock.TakeOverAsync(store, stale, $"a-{round}", "silo-a")),
                Task.Run(() => OutputLock.TakeOverAsync(store, stale, $"b-{round}", "silo-b")));

            Assert.Single(results, r => r is null);
            var holder = await OutputLock.ReadHolderAsync(store);
            Assert.NotNull(holder);
            Assert.Contains(holder.JobId, new[] { $"a-{round}", $"b-{round}" });
            Assert.Equal(holder, results.Single(r => r is not null));
            Assert.True(await OutputLock.ReleaseAsync(store, holder.JobId));
        }
    }

    public static async Task TakeOverLeavesAFreshLockAloneAsync(IObjectStore store)
    {
        Assert.Null(await OutputLock.TryAcquireAsync(store, "old", "silo-gone"));
        var stale = await OutputLock.ReadHolderAsync(store);
        Assert.True(await OutputLock.ReleaseAsync(store, "old"));
        Assert.Null(await OutputLock.TryAcquireAsync(store, "fresh", "silo-c"));

        // The stale holder is gone and a live job holds the lock: the take-over must not remove it.
        var holder = await OutputLock.TakeOverAsync(store, stale!, "late", "silo-d");
        Assert.Equal("fresh", holder?.JobId);
        Assert.Equal("fresh", (await OutputLock.ReadHolderAsync(store))!.JobId);
        Assert.True(await OutputLock.ReleaseAsync(store, "fresh"));
    }
}
