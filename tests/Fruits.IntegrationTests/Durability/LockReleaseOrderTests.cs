using Fruits.Grains;
using Fruits.Grains.Hosting;
using Fruits.Grains.Interfaces;
using Fruits.Pipeline.Statistics;
using Fruits.Pipeline.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.TestingHost;

namespace Fruits.IntegrationTests.Durability;

/// <summary>
/// A job releases its output's lock before its record says it ended, so whoever sees the job ended finds the output
/// as it stays. Checked without a race: the silo's stores hold the lock's delete until the test has looked.
/// </summary>
public sealed class LockReleaseOrderTests : IAsyncLifetime
{
    private readonly TempDirectory _temp = new();
    private TestCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        var builder = new TestClusterBuilder(initialSilosCount: 1);
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        _cluster = builder.Build();
        await _cluster.DeployAsync();
    }

    [Fact]
    public async Task A_finishing_job_releases_its_output_lock_before_its_record_says_completed()
    {
        var input = ImageSubset.CopyTo(_temp.Combine("input"), labels: 2, perLabel: 8);
        var output = _temp.Combine("out");
        var spec = new JobSpec(StorageLocation.Parse(input).ToContract(), StorageLocation.Parse(output).ToContract(), new PcaSelectionData(0.75), BatchSize: 8);
        var job = _cluster.GrainFactory.GetGrain<IJobGrain>("lock-release-order-" + Guid.NewGuid().ToString("N"));
        var gate = ((InProcessSiloHandle)_cluster.Silos[0]).SiloHost.Services.GetRequiredService<LockReleaseGate>();
        var lockFile = Path.Combine(output, "_job", "lock.json");

        // Opened in any case: a delete left held would keep the silo from stopping.
        try
        {
            await job.Start(spec);
            await gate.Reached.WaitAsync(TimeSpan.FromMinutes(3));

            var releasing = await job.GetStatus();
            Assert.False(releasing.IsFinished, $"the record says {releasing.Phase} while the job still holds its output's lock");
            Assert.True(File.Exists(Path.Combine(output, "_SUCCESS")), $"{releasing.Phase}: {releasing.Error}");
            Assert.True(File.Exists(lockFile), "the lock was gone before its release was let through");
        }
        finally
        {
            gate.Open();
        }

        var status = await job.GetStatus();
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        while (!status.IsFinished && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
            status = await job.GetStatus();
        }

        Assert.True(status.Phase == JobPhase.Completed, $"{status.Phase}: {status.Error}");
        Assert.False(File.Exists(lockFile), "the lock outlived the job's end");
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        _temp.Dispose();
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            siloBuilder.UseFruitsPipeline(o => o.MaxConcurrentBatches = 1)
                .AddMemoryGrainStorage(JobsOptions.StorageName)
                .UseInMemoryReminderService();
            siloBuilder.Services.AddSingleton<LockReleaseGate>();
            siloBuilder.Services.AddSingleton<ObjectStoreFactory>();
            siloBuilder.Services.Replace(ServiceDescriptor.Singleton<IObjectStoreFactory>(services =>
                new GatedLockStoreFactory(services.GetRequiredService<ObjectStoreFactory>(), services.GetRequiredService<LockReleaseGate>())));
        }
    }
}
