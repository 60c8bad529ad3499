using System.Text.Json;
using Fruits.IntegrationTests.Aws;
using Fruits.IntegrationTests.EndToEnd;

namespace Fruits.IntegrationTests.Clustering;

/// <summary>A silo dying under a watched job, and a client that comes back to watch: every good image once, nothing lost.</summary>
public sealed class FaultToleranceTests : IAsyncLifetime
{
    private const int Labels = 16;
    private const int PerLabel = 40;
    private const int Images = Labels * PerLabel;
    private readonly TempDirectory _temp = new();
    private MotoServer _moto = null!;

    public async Task InitializeAsync()
    {
        _moto = await MotoServer.StartAsync(serializeRequests: true);
        _moto.UseForThisProcess();
        await TestModel.EnsureAsync();
    }

    public async Task DisposeAsync()
    {
        await _moto.DisposeAsync();
        _temp.Dispose();
    }

    [Fact]
    public async Task A_silo_killed_mid_job_loses_nothing_and_counts_nothing_twice()
    {
        var input = ImageSubset.CopyTo(_temp.Combine("input"), Labels, PerLabel);
        var output = _temp.Combine("output");
        await using var cluster = new DynamoDbProcessCluster(_moto, $"kill-{Guid.NewGuid():N}");
        for (var i = 0; i < 3; i++)
        {
            cluster.StartSilo();
        }

        await cluster.WaitForActiveSilosAsync(3, TimeSpan.FromMinutes(2));
        await using var client = ChildProcess.Start("fruits",
            ["run", "--cluster", "dynamodb", "--input", input, "--output", output, "--batch-size", "16", "--json", "--job-id", "kill-test"],
            cluster.Environment);

        await JobAssertions.WaitForStoredBatchesAsync(output, 6, TimeSpan.FromMinutes(3));
        cluster.Silos[1].Kill(); // SIGKILL, mid-featurize

        var exit = await client.WaitAsync(TimeSpan.FromMinutes(8));
        Assert.True(exit == 0, $"client exited {exit}:\n{client.Output}");
        await JobAssertions.AssertCompleteAndExactAsync(output, input, Images);
    }

    [Fact]
    public async Task A_disconnected_client_can_watch_the_job_to_its_end()
    {
        var input = ImageSubset.CopyTo(_temp.Combine("input"), 4, 40);
        var output = _temp.Combine("output");
        await using var cluster = new DynamoDbProcessCluster(_moto, $"watch-{Guid.NewGuid():N}");
        cluster.StartSilo();
        await cluster.WaitForActiveSilosAsync(1, TimeSpan.FromMinutes(2));

        await using (var submit = ChildProcess.Start("fruits", ["submit", "--cluster", "dynamodb", "--input", input, "--output", output, "--job-id", "watch-test"], cluster.Environment))
        {
            Assert.Equal(0, await submit.WaitAsync(TimeSpan.FromMinutes(2)));
            Assert.Equal("watch-test", submit.StandardOutput.Trim());
        }

        await using var watch = ChildProcess.Start("fruits", ["watch", "watch-test", "--cluster", "dynamodb", "--json"], cluster.Environment);
        Assert.True(await watch.WaitAsync(TimeSpan.FromMinutes(5)) == 0, watch.Output);
        using var status = JsonDocument.Parse(watch.StandardOutput);
        Assert.Equal("Completed", status.RootElement.GetProperty("phase").GetString());
        Assert.Equal(160, status.RootElement.GetProperty("summary").GetProperty("images_succeeded").GetInt32());
    }
}
