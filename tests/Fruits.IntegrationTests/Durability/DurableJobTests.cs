using System.Text.Json;
using Fruits.IntegrationTests.Aws;
using Fruits.IntegrationTests.Clustering;
using Fruits.IntegrationTests.EndToEnd;

namespace Fruits.IntegrationTests.Durability;

/// <summary>
/// Jobs the cluster owns: submitted once, no client attached, and finished by the service whatever dies —
/// the silo driving the job, a majority of silos, every silo — or leaves on request (SIGTERM, as ECS sends).
/// Real silo processes with DynamoDB membership, job records and reminders on moto.
/// </summary>
public sealed class DurableJobTests : IAsyncLifetime
{
    private const int Labels = 16;
    private const int PerLabel = 40;
    private const int Images = Labels * PerLabel;
    private const int BatchSize = 16;
    private const int Batches = Images / BatchSize;
    private static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(6);

    private readonly TempDirectory _temp = new("fruits-durable");
    private MotoServer _moto = null!;
    private string _input = "";

    public async Task InitializeAsync()
    {
        _moto = await MotoServer.StartAsync(serializeRequests: true);
        _moto.UseForThisProcess();
        await TestModel.EnsureAsync();
        _input = ImageSubset.CopyTo(_temp.Combine("input"), Labels, PerLabel);
    }

    public async Task DisposeAsync()
    {
        await _moto.DisposeAsync();
        _temp.Dispose();
    }

    [Fact]
    public async Task A_job_whose_driving_silo_is_killed_completes_by_itself()
    {
        var output = _temp.Combine("output");
        await using var cluster = await StartClusterAsync(3);
        var jobId = await SubmitAsync(cluster, output);

        await JobAssertions.WaitForStoredBatchesAsync(output, 6, TimeSpan.FromMinutes(3));
        var host = await StatusAsync(cluster, jobId);
        cluster.SiloAt(host.GetProperty("silo").GetString()!).Kill();

        await JobAssertions.WaitForSuccessAsync(output, JobTimeout, () => Logs(cluster));
        var summary = await JobAssertions.AssertCompleteAndExactAsync(output, _input, Images);
        Assert.Equal(2, summary.GetProperty("attempts").GetInt32());
        Assert.Equal("Completed", (await StatusAsync(cluster, jobId)).GetProperty("phase").GetString());
    }

    [Fact]
    public async Task A_job_survives_two_of_three_silos_killed_at_once()
    {
        var output = _temp.Combine("output");
        await using var cluster = await StartClusterAsync(3);
        var jobId = await SubmitAsync(cluster, output);

        await JobAssertions.WaitForStoredBatchesAsync(output, 6, TimeSpan.FromMinutes(3));
        // The silo driving the job and one more: only a minority is left, and it must not hold the job.
        var host = cluster.SiloAt((await StatusAsync(cluster, jobId)).GetProperty("silo").GetString()!);
        var other = cluster.Silos.First(s => s != host);
        host.Kill();
        other.Kill();

        await JobAssertions.WaitForSuccessAsync(output, JobTimeout, () => Logs(cluster));
        var summary = await JobAssertions.AssertCompleteAndExactAsync(output, _input, Images);
        Assert.True(summary.GetProperty("attempts").GetInt32() >= 2);
    }

    [Fact]
    public async Task A_silo_sent_sigterm_drains_and_leaves_while_the_job_goes_on()
    {
        var output = _temp.Combine("output");
        await using var cluster = await StartClusterAsync(3);
        var jobId = await SubmitAsync(cluster, output);

        await JobAssertions.WaitForStoredBatchesAsync(output, 6, TimeSpan.FromMinutes(3));
        var host = cluster.SiloAt((await StatusAsync(cluster, jobId)).GetProperty("silo").GetString()!);
        var leaving = cluster.Silos.First(s => s != host);
        leaving.Terminate();

        // Within the ECS stop timeout (120 s), and cleanly.
        Assert.Equal(0, await leaving.WaitAsync(TimeSpan.FromSeconds(120)));
        await JobAssertions.WaitForSuccessAsync(output, JobTimeout, () => Logs(cluster));
        var summary = await JobAssertions.AssertCompleteAndExactAsync(output, _input, Images);

        // Every batch featurized once: none lost, none counted twice. The job keeps its attempt unless the leaving
        // silo held the job's grain directory entry (Orleans then deactivates the job's activation as the silo shuts
        // down) or a grain the job was calling, such as its statistics' aggregator: then the job resumes from its
        // stored batches in a second attempt.
        var attempts = summary.GetProperty("attempts").GetInt32();
        Assert.True(attempts is 1 or 2, $"{summary}\n{Logs(cluster)}");
        var counted = summary.GetProperty("batches_per_silo").EnumerateObject().Sum(p => p.Value.GetInt32());
        if (attempts == 1)
        {
            Assert.Equal(Batches, counted);
        }
        else
        {
            // Batches stored while the first attempt was being deactivated are resumed, not counted again.
            var last = summary.GetProperty("attempt_history").EnumerateArray().Last();
            Assert.Equal(Batches, last.GetProperty("batches_featurized").GetInt32() + summary.GetProperty("batches_resumed").GetInt32());
            Assert.InRange(counted, Batches - summary.GetProperty("batches_resumed").GetInt32(), Batches);
        }
    }

    [Fact]
    public async Task Every_silo_killed_then_a_new_cluster_resumes_the_job_with_no_client()
    {
        var output = _temp.Combine("output");
        var serviceId = $"fruits-restart-{Guid.NewGuid():N}";
        string jobId;
        Dictionary<string, DateTime> storedBefore;
        await using (var first = await StartClusterAsync(2, serviceId))
        {
            jobId = await SubmitAsync(first, output);
            await JobAssertions.WaitForStoredBatchesAsync(output, 10, TimeSpan.FromMinutes(3));
            foreach (var silo in first.Silos)
            {
                silo.Kill();
            }

            foreach (var silo in first.Silos)
            {
                await silo.WaitAsync(TimeSpan.FromSeconds(30));
            }

            storedBefore = Directory.GetFiles(Path.Combine(output, "_work", "features"), "*.parquet").ToDictionary(f => f, File.GetLastWriteTimeUtc);
        }

        Assert.False(File.Exists(Path.Combine(output, "_SUCCESS")));

        // No client, no resubmission: the new cluster's reminder finds the job and resumes it.
        await using var second = await StartClusterAsync(2, serviceId);
        await JobAssertions.WaitForSuccessAsync(output, JobTimeout, () => Logs(second));
        var summary = await JobAssertions.AssertCompleteAndExactAsync(output, _input, Images);
        Assert.Equal(2, summary.GetProperty("attempts").GetInt32());

        // Stored batches were trusted, not featurized again.
        Assert.True(summary.GetProperty("batches_resumed").GetInt32() >= storedBefore.Count - 1, summary.ToString());
        foreach (var (part, written) in storedBefore)
        {
            Assert.Equal(written, File.GetLastWriteTimeUtc(part));
        }

        var last = summary.GetProperty("attempt_history").EnumerateArray().Last();
        Assert.Equal(Batches, last.GetProperty("batches_featurized").GetInt32() + summary.GetProperty("batches_resumed").GetInt32());
        Assert.Equal("Completed", (await StatusAsync(second, jobId)).GetProperty("phase").GetString());
    }

    [Fact]
    public async Task Jobs_lists_every_outcome_status_outlives_the_silo_and_a_cancelled_job_resumes()
    {
        var serviceId = $"fruits-registry-{Guid.NewGuid():N}";
        var done = _temp.Combine("done");
        var broken = Directory.CreateDirectory(_temp.Combine("broken/Apple")).FullName;
        for (var i = 0; i < 3; i++)
        {
            File.WriteAllText(Path.Combine(broken, $"not-an-image-{i}.jpg"), "this is text, not a JPEG");
        }

        var cancelledOutput = _temp.Combine("cancelled");
        string completedId, failedId, cancelledId;
        int storedAtCancel;
        await using (var cluster = await StartClusterAsync(1, serviceId))
        {
            completedId = await SubmitAsync(cluster, done, input: ImageSubset.CopyTo(_temp.Combine("small"), 1, 20));
            failedId = await SubmitAsync(cluster, _temp.Combine("failed"), input: _temp.Combine("broken"));
            cancelledId = await SubmitAsync(cluster, cancelledOutput);

            await JobAssertions.WaitForStoredBatchesAsync(cancelledOutput, 2, TimeSpan.FromMinutes(3));
            var cancel = await ClientAsync(cluster, ["cancel", cancelledId, "--cluster", "dynamodb", "--json"]);
            Assert.True(cancel.ExitCode == 0, cancel.Output);
            Assert.Equal("Cancelled", JsonDocument.Parse(cancel.Stdout).RootElement.GetProperty("phase").GetString());
            Assert.False(File.Exists(Path.Combine(cancelledOutput, "_SUCCESS")));
            storedAtCancel = Directory.GetFiles(Path.Combine(cancelledOutput, "_work", "features"), "*.parquet").Length;

            await WaitForPhaseAsync(cluster, completedId, "Completed");
            await WaitForPhaseAsync(cluster, failedId, "Failed");

            // Force every activation away: the only silo dies; what answers next comes from the stored records.
            cluster.Silos[0].Kill();
            await cluster.Silos[0].WaitAsync(TimeSpan.FromSeconds(30));
        }

        await using var restarted = await StartClusterAsync(1, serviceId);
        var failed = await ClientAsync(restarted, ["status", failedId, "--cluster", "dynamodb", "--json"]);
        Assert.Equal(1, failed.ExitCode);
        var failedStatus = JsonDocument.Parse(failed.Stdout).RootElement;
        Assert.Equal("Failed", failedStatus.GetProperty("phase").GetString());
        Assert.Contains("PCA needs at least 2", failedStatus.GetProperty("error").GetString());

        var jobs = await ClientAsync(restarted, ["jobs", "--cluster", "dynamodb", "--json"]);
        Assert.True(jobs.ExitCode == 0, jobs.Output);
        var phases = JsonDocument.Parse(jobs.Stdout).RootElement.GetProperty("jobs").EnumerateArray()
            .ToDictionary(j => j.GetProperty("job_id").GetString()!, j => j.GetProperty("phase").GetString());
        Assert.Equal("Completed", phases[completedId]);
        Assert.Equal("Failed", phases[failedId]);
        Assert.Equal("Cancelled", phases[cancelledId]);

        // The same spec again resumes the cancelled job from its stored batches.
        var resumed = await ClientAsync(restarted, ["run", "--cluster", "dynamodb", "--input", _input, "--output", cancelledOutput,
            "--batch-size", $"{BatchSize}", "--job-id", cancelledId, "--json"]);
        Assert.True(resumed.ExitCode == 0, resumed.Output);
        var summary = await JobAssertions.AssertCompleteAndExactAsync(cancelledOutput, _input, Images);
        Assert.Equal(2, summary.GetProperty("attempts").GetInt32());
        Assert.True(summary.GetProperty("batches_resumed").GetInt32() >= storedAtCancel - 1, summary.ToString());
    }

    private async Task<DynamoDbProcessCluster> StartClusterAsync(int silos, string? serviceId = null)
    {
        var cluster = new DynamoDbProcessCluster(_moto, $"durable-{Guid.NewGuid():N}", serviceId);
        for (var i = 0; i < silos; i++)
        {
            cluster.StartSilo();
        }

        await cluster.WaitForActiveSilosAsync(silos, TimeSpan.FromMinutes(2));
        return cluster;
    }

    /// <summary>`fruits submit`, then the client is gone.</summary>
    private async Task<string> SubmitAsync(DynamoDbProcessCluster cluster, string output, string? input = null)
    {
        var jobId = $"durable-{Guid.NewGuid():N}"[..24];
        var submit = await ClientAsync(cluster, ["submit", "--cluster", "dynamodb", "--input", input ?? _input, "--output", output,
            "--batch-size", $"{BatchSize}", "--job-id", jobId]);
        Assert.True(submit.ExitCode == 0, submit.Output);
        Assert.Equal(jobId, submit.Stdout.Trim());
        return jobId;
    }

    private static async Task<JsonElement> StatusAsync(DynamoDbProcessCluster cluster, string jobId)
    {
        var status = await ClientAsync(cluster, ["status", jobId, "--cluster", "dynamodb", "--json"]);
        return JsonDocument.Parse(status.Stdout).RootElement.Clone();
    }

    private static async Task WaitForPhaseAsync(DynamoDbProcessCluster cluster, string jobId, string phase)
    {
        var deadline = DateTime.UtcNow + JobTimeout;
        var last = "";
        while (DateTime.UtcNow < deadline)
        {
            last = (await StatusAsync(cluster, jobId)).GetProperty("phase").GetString()!;
            if (last == phase)
            {
                return;
            }

            await Task.Delay(500);
        }

        throw new TimeoutException($"job {jobId} is {last}, not {phase}:\n{Logs(cluster)}");
    }

    private static async Task<(int ExitCode, string Stdout, string Output)> ClientAsync(DynamoDbProcessCluster cluster, string[] arguments)
    {
        await using var client = ChildProcess.Start("fruits", arguments, cluster.Environment);
        var exit = await client.WaitAsync(JobTimeout);
        return (exit, client.StandardOutput, client.Output);
    }

    private static string Logs(DynamoDbProcessCluster cluster) =>
        string.Join("\n--- silo ---\n", cluster.Silos.Select(s => string.Join('\n', s.Output.Split('\n').TakeLast(150))));
}
