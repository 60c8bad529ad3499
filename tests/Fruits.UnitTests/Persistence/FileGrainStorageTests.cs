using Fruits.Grains;
using Fruits.Grains.Interfaces;
using Fruits.Silo.Storage;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Storage;

namespace Fruits.UnitTests.Persistence;

/// <summary>The embedded and localhost silos' job store: files that survive the process, shared safely by several.</summary>
public sealed class FileGrainStorageTests : IDisposable
{
    private readonly TempDirectory _temp = new("fruits-file-storage");
    private readonly ServiceProvider _services = new ServiceCollection().AddSerializer().BuildServiceProvider();
    private readonly GrainId _job = GrainId.Create("job", "job-1");

    public void Dispose()
    {
        _services.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public async Task A_record_written_by_one_process_reads_back_in_another()
    {
        var written = new GrainState<JobState>(new JobState { Phase = JobPhase.Featurizing, ImagesTotal = 42, Error = "none yet" });
        await Storage().WriteStateAsync("job", _job, written);

        var read = new GrainState<JobState>();
        await Storage().ReadStateAsync("job", _job, read);
        Assert.True(read.RecordExists);
        Assert.Equal(written.ETag, read.ETag);
        Assert.Equal(JobPhase.Featurizing, read.State!.Phase);
        Assert.Equal(42, read.State!.ImagesTotal);
        Assert.Equal("none yet", read.State!.Error);
    }

    [Fact]
    public async Task A_write_from_a_stale_read_is_refused_and_the_newer_record_kept()
    {
        var first = new GrainState<JobState>();
        var second = new GrainState<JobState>();
        await Storage().ReadStateAsync("job", _job, first);
        await Storage().ReadStateAsync("job", _job, second);

        first.State!.ImagesTotal = 1;
        await Storage().WriteStateAsync("job", _job, first);
        second.State!.ImagesTotal = 2;
        await Assert.ThrowsAsync<InconsistentStateException>(() => Storage().WriteStateAsync("job", _job, second));

        var read = new GrainState<JobState>();
        await Storage().ReadStateAsync("job", _job, read);
        Assert.Equal(1, read.State!.ImagesTotal);
    }

    [Fact]
    public async Task Concurrent_writers_from_one_read_let_exactly_one_win()
    {
        var readers = Enumerable.Range(0, 8).Select(_ => new GrainState<JobState>()).ToList();
        foreach (var reader in readers)
        {
            await Storage().ReadStateAsync("job", _job, reader);
        }

        var results = await Task.WhenAll(readers.Select(async (state, i) =>
        {
            state.State!.ImagesTotal = i;
            try
            {
                await Task.Run(() => Storage().WriteStateAsync("job", _job, state));
                return true;
            }
            catch (InconsistentStateException)
            {
                return false;
            }
        }));

        Assert.Equal(1, results.Count(won => won));
    }

    [Fact]
    public async Task Clear_removes_the_record()
    {
        var state = new GrainState<JobState>(new JobState { ImagesTotal = 5 });
        await Storage().WriteStateAsync("job", _job, state);
        await Storage().ClearStateAsync("job", _job, state);

        var read = new GrainState<JobState>();
        await Storage().ReadStateAsync("job", _job, read);
        Assert.False(read.RecordExists);
        Assert.Equal(0, read.State!.ImagesTotal);
    }

    /// <summary>A fresh provider over the same folder, as a second process would have.</summary>
    private FileGrainStorage Storage() =>
        new("jobs", new FileGrainStorageOptions { Directory = _temp.Path }, _services.GetRequiredService<Serializer>());
}
