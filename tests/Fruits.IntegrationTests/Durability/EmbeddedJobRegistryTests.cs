using System.Text.Json;
using Fruits.IntegrationTests.Clustering;
using Fruits.IntegrationTests.EndToEnd;

namespace Fruits.IntegrationTests.Durability;

/// <summary>The embedded silo keeps its jobs in the user's job store: `fruits jobs` and `cancel` work without a cluster.</summary>
public sealed class EmbeddedJobRegistryTests : IDisposable
{
    private readonly TempDirectory _temp = new("fruits-embedded-jobs");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Jobs_run_on_the_embedded_silo_are_listed_by_a_later_process()
    {
        var input = ImageSubset.CopyTo(_temp.Combine("input"), 1, 12);
        var jobId = $"embedded-{Guid.NewGuid():N}"[..20];
        var run = await FruitsAsync(["run", "--input", input, "--output", _temp.Combine("output"), "--job-id", jobId, "--batch-size", "4", "--json"]);
        Assert.True(run.ExitCode == 0, run.Output);

        var jobs = await FruitsAsync(["jobs", "--json"]);
        Assert.True(jobs.ExitCode == 0, jobs.Output);
        var listed = JsonDocument.Parse(jobs.Stdout).RootElement.GetProperty("jobs").EnumerateArray()
            .Single(j => j.GetProperty("job_id").GetString() == jobId);
        Assert.Equal("Completed", listed.GetProperty("phase").GetString());
        Assert.Equal(input, listed.GetProperty("input").GetString());
        Assert.True(listed.GetProperty("finished_utc").GetDateTime() >= listed.GetProperty("submitted_utc").GetDateTime());

        // Cancelling a finished job changes nothing and says so.
        var cancel = await FruitsAsync(["cancel", jobId, "--json"]);
        Assert.True(cancel.ExitCode == 0, cancel.Output);
        Assert.Equal("Completed", JsonDocument.Parse(cancel.Stdout).RootElement.GetProperty("phase").GetString());

        var unknown = await FruitsAsync(["cancel", "no-such-job", "--json"]);
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("unknown job id 'no-such-job'", unknown.Output);
    }

    private static async Task<(int ExitCode, string Stdout, string Output)> FruitsAsync(string[] arguments)
    {
        await using var client = ChildProcess.Start("fruits", arguments, new Dictionary<string, string>());
        var exit = await client.WaitAsync(TimeSpan.FromMinutes(5));
        return (exit, client.StandardOutput, client.Output);
    }
}
