using System.Text.Json;
using Fruits.Pipeline.Output;
using Fruits.Pipeline.Storage;

namespace Fruits.UnitTests.Output;

/// <summary>The output lock on a local folder; the same scenarios run against S3 in Aws/S3StoreSafetyTests.</summary>
public sealed class OutputLockTests : IDisposable
{
    private readonly TempDirectory _directory = new("fruits-lock");
    private readonly LocalObjectStore _store;

    public OutputLockTests() => _store = new LocalObjectStore(_directory.Path);

    [Fact]
    public Task Acquire_resume_refuse_and_release() => OutputLockScenarios.AcquireResumeRefuseAndReleaseAsync(_store);

    [Fact]
    public Task Of_concurrent_acquirers_exactly_one_wins() => OutputLockScenarios.ExactlyOneConcurrentAcquirerWinsAsync(_store);

    [Fact]
    public Task Of_two_takers_of_a_stale_lock_exactly_one_wins() => OutputLockScenarios.ExactlyOneTakerOfAStaleLockWinsAsync(_store);

    [Fact]
    public Task Take_over_leaves_a_lock_that_is_no_longer_the_stale_one() => OutputLockScenarios.TakeOverLeavesAFreshLockAloneAsync(_store);

    [Fact]
    public async Task The_lock_file_names_job_owner_and_time()
    {
        var before = DateTimeOffset.UtcNow;
        Assert.Null(await OutputLock.TryAcquireAsync(_store, "job-1", "silo-a"));

        using var json = JsonDocument.Parse(await File.ReadAllBytesAsync(_directory.Combine("_job/lock.json")));
        Assert.Equal("job-1", json.RootElement.GetProperty("job_id").GetString());
        Assert.Equal("silo-a", json.RootElement.GetProperty("owner").GetString());
        Assert.InRange(json.RootElement.GetProperty("acquired_utc").GetDateTimeOffset(), before, DateTimeOffset.UtcNow);
    }

    [Fact]
    public async Task An_unreadable_lock_blocks_until_taken_over()
    {
        Directory.CreateDirectory(_directory.Combine("_job"));
        await File.WriteAllTextAsync(_directory.Combine("_job/lock.json"), "{ torn");

        var holder = await OutputLock.TryAcquireAsync(_store, "job-1", "silo-a");
        Assert.Equal(OutputLockHolder.Unreadable, holder);
        Assert.Null(await OutputLock.TakeOverAsync(_store, holder!, "job-1", "silo-a"));
        Assert.Equal("job-1", (await OutputLock.ReadHolderAsync(_store))!.JobId);
    }

    public void Dispose() => _directory.Dispose();
}
