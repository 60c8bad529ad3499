using System.Text.Json;
using Fruits.Models;
using Fruits.Pipeline.Featurizing;
using Fruits.Pipeline.Imaging;
using Fruits.Tests.Aws;
using Fruits.Tests.EndToEnd;

namespace Fruits.Tests.Cluster;

/// <summary>Dying silos, a dying client and a restarted cluster: every good image once, nothing lost.</summary>
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

        await WaitForStoredBatchesAsync(output, 6, TimeSpan.FromMinutes(3));
        cluster.Silos[1].Kill(); // SIGKILL, mid-featurize

        var exit = await client.WaitAsync(TimeSpan.FromMinutes(8));
        Assert.True(exit == 0, $"client exited {exit}:\n{client.Output}");
        await AssertCompleteAndExactAsync(output, input);
    }

    [Fact]
    public async Task A_restarted_cluster_resumes_the_job_from_stored_parts()
    {
        var input = ImageSubset.CopyTo(_temp.Combine("input"), Labels, PerLabel);
        var output = _temp.Combine("output");
        string[] run = ["run", "--cluster", "dynamodb", "--input", input, "--output", output, "--batch-size", "16", "--json", "--job-id", "restart-test"];

        await using (var first = new DynamoDbProcessCluster(_moto, $"restart-a-{Guid.NewGuid():N}"))
        {
            first.StartSilo();
            first.StartSilo();
            await first.WaitForActiveSilosAsync(2, TimeSpan.FromMinutes(2));
            await using var client = ChildProcess.Start("fruits", run, first.Environment);
            await WaitForStoredBatchesAsync(output, 10, TimeSpan.FromMinutes(3));
            client.Kill(); // the client going away does not stop a job...
            foreach (var silo in first.Silos)
            {
                silo.Kill(); // ...but the whole cluster going down does
            }
        }

        Assert.False(File.Exists(Path.Combine(output, "_SUCCESS")));
        var stored = Directory.GetFiles(Path.Combine(output, "_work", "features")).Length;

        await using var second = new DynamoDbProcessCluster(_moto, $"restart-b-{Guid.NewGuid():N}");
        second.StartSilo();
        second.StartSilo();
        await second.WaitForActiveSilosAsync(2, TimeSpan.FromMinutes(2));
        await using var again = ChildProcess.Start("fruits", run, second.Environment);
        var exit = await again.WaitAsync(TimeSpan.FromMinutes(8));
        Assert.True(exit == 0, $"client exited {exit}:\n{again.Output}");

        var summary = await AssertCompleteAndExactAsync(output, input);
        var resumed = summary.GetProperty("batches_resumed").GetInt32();
        Assert.True(resumed >= stored - 1 && resumed > 0, $"resumed {resumed} batches, {stored} were stored before the restart");
        Assert.Equal(Images / 16, resumed + summary.GetProperty("batches_per_silo").EnumerateObject().Sum(p => p.Value.GetInt32()));
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

    private static async Task WaitForStoredBatchesAsync(string output, int count, TimeSpan timeout)
    {
        var features = Path.Combine(output, "_work", "features");
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (Directory.Exists(features) && Directory.GetFiles(features, "*.parquet").Length >= count)
            {
                return;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"fewer than {count} batches were stored within {timeout}");
    }

    /// <summary>Every image exactly once, features as a fault-free featurizer computes them, the PCA counting each once.</summary>
    private static async Task<JsonElement> AssertCompleteAndExactAsync(string output, string input)
    {
        Assert.True(File.Exists(Path.Combine(output, "_SUCCESS")));
        using var db = new DuckDb();
        var parts = DuckDb.Quote(Path.Combine(output, "part-*.parquet"));
        Assert.Equal(Images, db.Scalar<int>($"SELECT count(*) FROM read_parquet({parts})"));
        Assert.Equal(Images, db.Scalar<int>($"SELECT count(DISTINCT path) FROM read_parquet({parts})"));

        var model = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(output, "pca_model.json")));
        Assert.Equal(Images, model.RootElement.GetProperty("count").GetInt64()); // no batch merged twice, none lost

        // A sample of rows against a fresh, fault-free featurizer.
        var sample = db.Rows($"SELECT path, features FROM read_parquet({parts}) ORDER BY hash(path) LIMIT 12");
        using var onnx = new OnnxFeaturizer((await TestModel.EnsureAsync()).Path);
        var preprocessor = new ImagePreprocessor(ImageLimits.Default);
        var tensor = new float[ImagePreprocessor.TensorLength];
        var expected = new float[OnnxFeaturizer.FeatureLength];
        foreach (var row in sample)
        {
            var path = (string)row[0]!;
            Assert.StartsWith(input, path);
            preprocessor.Preprocess(File.ReadAllBytes(path), tensor);
            onnx.Run(tensor, 1, expected);
            var actual = ((System.Collections.IList)row[1]!).Cast<float>().ToArray();
            for (var i = 0; i < expected.Length; i++)
            {
                Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4f * Math.Max(1f, Math.Abs(expected[i])), $"{path}: feature {i} {actual[i]} vs {expected[i]}");
            }
        }

        var summary = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(output, "summary.json")));
        Assert.Equal(Images, summary.RootElement.GetProperty("images_succeeded").GetInt32());
        return summary.RootElement.Clone();
    }
}
