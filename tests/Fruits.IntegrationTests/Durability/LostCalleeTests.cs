using Fruits.Grains;
using Fruits.Grains.Hosting;
using Fruits.Grains.Interfaces;
using Fruits.Pipeline.Statistics;
using Fruits.Pipeline.Storage;
using Orleans.Runtime;
using Orleans.TestingHost;

namespace Fruits.IntegrationTests.Durability;

/// <summary>
/// A grain the job calls can be on a silo that leaves mid-call: the caller then gets <see cref="SiloUnavailableException"/>
/// while everything the job stored is intact. Here the job's statistics aggregator answers so,
/// as it did when its silo drained for a shutdown. Such an attempt is not a failure of the job: the next attempt
/// resumes it. Only attempts that keep losing their callees, up to <see cref="JobsOptions.MaxInterruptedAttempts"/>
/// in a row, fail it, with the reason.
/// </summary>
public sealed class LostCalleeTests : IAsyncLifetime
{
    private const string LoseOnce = "lose-once-";
    private const string LoseAlways = "lose-always-";
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
    public async Task An_attempt_whose_aggregator_silo_is_lost_mid_call_is_resumed_by_the_next_and_the_job_completes()
    {
        var output = _temp.Combine("out");
        var status = await RunAsync(LoseOnce, output);

        Assert.True(status.Phase == JobPhase.Completed, $"{status.Phase}: {status.Error}");
        var history = status.Summary!.AttemptHistory;
        Assert.Equal(2, history.Count);
        Assert.Contains("became unavailable", history[0].Interruption);
        Assert.Null(history[1].Interruption);
        Assert.Equal(2, status.Summary.BatchesResumed);
        Assert.Equal(16, status.Summary.ImagesSucceeded);
        Assert.True(File.Exists(Path.Combine(output, "_SUCCESS")));
    }

    [Fact]
    public async Task A_job_whose_attempts_keep_losing_their_callees_fails_with_the_reason_after_the_limit()
    {
        var output = _temp.Combine("out");
        var status = await RunAsync(LoseAlways, output);

        Assert.Equal(JobPhase.Failed, status.Phase);
        Assert.Contains("became unavailable", status.Error);
        Assert.Equal(new JobsOptions().MaxInterruptedAttempts, status.Attempts);
        Assert.False(File.Exists(Path.Combine(output, "_SUCCESS")));
    }

    private async Task<JobStatus> RunAsync(string kind, string output)
    {
        var input = ImageSubset.CopyTo(_temp.Combine("input"), labels: 2, perLabel: 8);
        var spec = new JobSpec(StorageLocation.Parse(input).ToContract(), StorageLocation.Parse(output).ToContract(), new PcaSelectionData(0.75), BatchSize: 8);
        var job = _cluster.GrainFactory.GetGrain<IJobGrain>(kind + Guid.NewGuid().ToString("N"));
        var status = await job.Start(spec);
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
        while (!status.IsFinished && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
            status = await job.GetStatus();
        }

        Assert.True(status.IsFinished, $"still {status.Phase} after 3 minutes");
        return status;
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
                .UseInMemoryReminderService()
                .AddIncomingGrainCallFilter<LostAggregatorFilter>();
        }
    }

    /// <summary>
    /// Answers a job's aggregator as a silo that left answers: the first merge of a "lose-once" job, and every reset
    /// (the first call of each attempt's statistics) of a "lose-always" job.
    /// </summary>
    private sealed class LostAggregatorFilter : IIncomingGrainCallFilter
    {
        private readonly HashSet<string> _lost = [];

        public Task Invoke(IIncomingGrainCallContext context)
        {
            var method = context.InterfaceMethod?.Name;
            if (context.TargetId.Type.ToString() == "pcaaggregator" && context.TargetId.Key.ToString() is { } job
                && ((method == nameof(IPcaAggregatorGrain.Reset) && job.StartsWith(LoseAlways, StringComparison.Ordinal))
                    || (method == nameof(IPcaAggregatorGrain.Merge) && job.StartsWith(LoseOnce, StringComparison.Ordinal) && Lose(job))))
            {
                throw new SiloUnavailableException($"The target silo became unavailable for message: Merge of job {job}");
            }

            return context.Invoke();
        }

        private bool Lose(string job)
        {
            lock (_lost)
            {
                return _lost.Add(job);
            }
        }
    }
}
