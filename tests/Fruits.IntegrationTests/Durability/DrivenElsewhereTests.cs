using Fruits.Grains;
using Fruits.Grains.Interfaces;
using Fruits.IntegrationTests.EndToEnd;
using Fruits.Pipeline.Statistics;
using Fruits.Pipeline.Storage;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Orleans.Storage;
using Orleans.TestingHost;

namespace Fruits.IntegrationTests.Durability;

/// <summary>
/// While silos come and go, Orleans' directory may briefly hold two activations of one job. The second must not
/// start an attempt of its own while the silo the record names as driver still runs the job. Set up here without
/// a race: the record is written to name the other silo, whose <see cref="DrivenJobs"/> says it drives the job.
/// </summary>
[Collection(TwoSiloCollection.Name)]
public sealed class DrivenElsewhereTests(TwoSiloClusterFixture fixture) : IDisposable
{
    private readonly TempDirectory _temp = new();

    [Fact]
    public async Task An_activation_leaves_a_job_alone_while_the_silo_its_record_names_drives_it_and_takes_over_after()
    {
        var input = ImageSubset.CopyTo(_temp.Combine("input"), labels: 2, perLabel: 10);
        var output = _temp.Combine("out");
        var spec = new JobSpec(StorageLocation.Parse(input).ToContract(), StorageLocation.Parse(output).ToContract(), new PcaSelectionData(0.75), BatchSize: 8);
        var jobId = "driven-elsewhere-" + Guid.NewGuid().ToString("N");
        var job = fixture.Cluster.GrainFactory.GetGrain<IJobGrain>(jobId);

        // A record in mid-attempt, first naming either silo: where the activation lands is only known once it exists.
        var silos = fixture.Cluster.Silos.Cast<InProcessSiloHandle>().ToList();
        await WriteRecordAsync(job, spec, silos[0].SiloAddress);
        await job.GetStatus();
        var host = await fixture.Cluster.GrainFactory.GetGrain<IManagementGrain>(0).GetActivationAddress(job);
        var driver = silos.Single(s => !s.SiloAddress.Equals(host));
        await WriteRecordAsync(job, spec, driver.SiloAddress);
        var drivenThere = driver.SiloHost.Services.GetRequiredService<DrivenJobs>();
        var drivenHere = silos.Single(s => s.SiloAddress.Equals(host)).SiloHost.Services.GetRequiredService<DrivenJobs>();

        drivenThere.Add(jobId);
        try
        {
            var status = await job.Start(spec);
            Assert.Equal(JobPhase.Featurizing, status.Phase);
            Assert.Equal(1, status.Attempts);
            Assert.Equal(driver.SiloAddress.ToParsableString(), status.Silo);
            Assert.False(drivenHere.Contains(jobId), "the duplicate activation started an attempt");
            Assert.False(Directory.Exists(output), "the duplicate activation touched the output");
        }
        finally
        {
            drivenThere.Remove(jobId);
        }

        // The driver no longer runs it (its attempt died with it): the same call now resumes the job here.
        var resumed = await job.Start(spec);
        Assert.Equal(2, resumed.Attempts);
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
        while (!resumed.IsFinished && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
            resumed = await job.GetStatus();
        }

        Assert.True(resumed.Phase == JobPhase.Completed, $"{resumed.Phase}: {resumed.Error}");
        Assert.Equal(20, resumed.Summary!.ImagesSucceeded);
        Assert.True(File.Exists(Path.Combine(output, "_SUCCESS")));
    }

    /// <summary>Writes the job's record through the silos' own grain storage, as an attempt on <paramref name="driver"/> left it.</summary>
    private async Task WriteRecordAsync(IJobGrain job, JobSpec spec, SiloAddress driver)
    {
        var storage = ((InProcessSiloHandle)fixture.Cluster.Silos[0]).SiloHost.Services.GetRequiredKeyedService<IGrainStorage>(JobsOptions.StorageName);
        var grainId = job.GetGrainId();
        var state = new GrainState<JobState>(new JobState());
        await storage.ReadStateAsync("job", grainId, state);
        state.State = new JobState
        {
            Spec = spec,
            Phase = JobPhase.Featurizing,
            SubmittedUtc = DateTime.UtcNow,
            Driver = driver.ToParsableString(),
            Attempts = [new JobAttempt { Attempt = 1, StartedUtc = DateTime.UtcNow }],
        };
        await storage.WriteStateAsync("job", grainId, state);
    }

    public void Dispose() => _temp.Dispose();
}
