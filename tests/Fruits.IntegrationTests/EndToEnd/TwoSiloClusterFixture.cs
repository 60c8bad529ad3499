using Fruits.Grains;
using Fruits.Grains.Interfaces;
using Fruits.Grains.Hosting;
using Orleans.TestingHost;

namespace Fruits.IntegrationTests.EndToEnd;

/// <summary>A real two-silo Orleans cluster, in process, running the production grains.</summary>
public sealed class TwoSiloClusterFixture : IAsyncLifetime
{
    public TestCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var builder = new TestClusterBuilder(initialSilosCount: 2);
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();

    public async Task<JobStatus> RunJobAsync(string jobId, JobSpec spec, TimeSpan timeout)
    {
        var job = Cluster.GrainFactory.GetGrain<IJobGrain>(jobId);
        var status = await job.Start(spec);
        var deadline = DateTime.UtcNow + timeout;
        while (!status.IsFinished && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250);
            status = await job.GetStatus();
        }

        return status;
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        // One batch at a time per silo: the two silos share one test machine's cores.
        public void Configure(ISiloBuilder siloBuilder) =>
            siloBuilder.UseFruitsPipeline(o => o.MaxConcurrentBatches = 1)
                .AddMemoryGrainStorage(JobsOptions.StorageName)
                .UseInMemoryReminderService();
    }
}

[CollectionDefinition(Name)]
public sealed class TwoSiloCollection : ICollectionFixture<TwoSiloClusterFixture>
{
    public const string Name = "two-silo cluster";
}
