using System.Text.Json;
using Fruits.IntegrationTests.Aws;
using Fruits.IntegrationTests.EndToEnd;

namespace Fruits.IntegrationTests.Clustering;

/// <summary>A real cluster: separate silo processes and a client process, all through DynamoDB membership.</summary>
public sealed class MultiSiloProcessTests : IAsyncLifetime
{
    private readonly TempDirectory _temp = new();
    private MotoServer _moto = null!;

    public async Task InitializeAsync()
    {
        _moto = await MotoServer.StartAsync(serializeRequests: true);
        _moto.UseForThisProcess();
    }

    public async Task DisposeAsync()
    {
        await _moto.DisposeAsync();
        _temp.Dispose();
    }

    [Fact]
    public async Task Three_silo_processes_share_a_job_and_a_silo_joining_mid_job_gets_work()
    {
        await TestModel.EnsureAsync(); // built once here, not raced by three silos
        // Enough images that the job is still featurizing once the third silo has started and joined.
        var input = ImageSubset.CopyTo(_temp.Combine("input"), labels: 16, perLabel: 120);
        var output = _temp.Combine("output");
        await using var cluster = new DynamoDbProcessCluster(_moto, $"multi-{Guid.NewGuid():N}");
        cluster.StartSilo();
        cluster.StartSilo();
        await cluster.WaitForActiveSilosAsync(2, TimeSpan.FromMinutes(2));

        await using var client = ChildProcess.Start("fruits",
            ["run", "--cluster", "dynamodb", "--input", input, "--output", output, "--batch-size", "16", "--json", "--job-id", "multi-silo"],
            cluster.Environment);

        // The third silo joins while the job is featurizing: once its first batches are stored.
        await JobAssertions.WaitForStoredBatchesAsync(output, 4, TimeSpan.FromMinutes(3));
        cluster.StartSilo();
        await cluster.WaitForActiveSilosAsync(3, TimeSpan.FromMinutes(2));

        var exit = await client.WaitAsync(TimeSpan.FromMinutes(8));
        Assert.True(exit == 0, $"client exited {exit}:\n{client.Output}\n--- silos:\n{string.Join("\n---\n", cluster.Silos.Select(s => s.Output))}");

        using var summary = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(output, "summary.json")));
        Assert.Equal(1920, summary.RootElement.GetProperty("images_succeeded").GetInt32());
        var perSilo = summary.RootElement.GetProperty("batches_per_silo").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());
        Assert.True(perSilo.Count == 3, "batches per silo: " + string.Join(", ", perSilo.Select(p => $"{p.Key}={p.Value}")));
        Assert.Equal(120, perSilo.Values.Sum());
        Assert.All(perSilo.Values, count => Assert.True(count > 0));

        using var db = new DuckDb();
        var parts = DuckDb.Quote(Path.Combine(output, "part-*.parquet"));
        Assert.Equal(1920, db.Scalar<int>($"SELECT count(DISTINCT path) FROM read_parquet({parts})"));
    }
}
