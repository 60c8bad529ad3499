using System.Text.Json;
using Fruits.IntegrationTests.Aws;
using Fruits.IntegrationTests.Clustering;
using Fruits.IntegrationTests.EndToEnd;

namespace Fruits.IntegrationTests.Reliability;

/// <summary>
/// A silo that cannot featurize (its model file is truncated) takes no work: the job finishes on the healthy silos,
/// and fails, with the silos' reasons, only when no silo can do the work. Real silo processes, DynamoDB on moto.
/// </summary>
public sealed class SickSiloTests : IAsyncLifetime
{
    private readonly TempDirectory _temp = new("fruits-sick-silo");
    private MotoServer _moto = null!;
    private string _input = "";
    private Dictionary<string, string> _sick = [];

    public async Task InitializeAsync()
    {
        _moto = await MotoServer.StartAsync(serializeRequests: true);
        _moto.UseForThisProcess();
        var model = await TestModel.EnsureAsync();
        _input = ImageSubset.CopyTo(_temp.Combine("input"), 4, 40);

        var truncated = _temp.Combine("truncated.onnx");
        var bytes = File.ReadAllBytes(model.Path);
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 3)]);
        _sick = new Dictionary<string, string> { ["Fruits__Featurizer__ModelPath"] = truncated };
    }

    public async Task DisposeAsync()
    {
        await _moto.DisposeAsync();
        _temp.Dispose();
    }

    [Fact]
    public async Task A_job_finishes_on_the_healthy_silo_and_the_sick_one_gets_no_batch()
    {
        await using var cluster = new DynamoDbProcessCluster(_moto, $"sick-{Guid.NewGuid():N}");
        var sick = cluster.StartSilo(_sick);
        cluster.StartSilo();
        await cluster.WaitForActiveSilosAsync(2, TimeSpan.FromMinutes(2));

        var output = _temp.Combine("output");
        await using var client = ChildProcess.Start("fruits",
            ["run", "--cluster", "dynamodb", "--input", _input, "--output", output, "--batch-size", "16", "--json"], cluster.Environment);
        var exit = await client.WaitAsync(TimeSpan.FromMinutes(6));
        Assert.True(exit == 0, $"{client.Output}\n--- sick silo:\n{sick.Output}");

        var summary = await JobAssertions.AssertCompleteAndExactAsync(output, _input, 160);
        var perSilo = summary.GetProperty("batches_per_silo").EnumerateObject().ToList();
        Assert.Single(perSilo);
        Assert.Equal(10, perSilo[0].Value.GetInt32());
        Assert.False(sick.HasExited, "a sick silo stays up: it still serves status and hosts grains");
    }

    [Fact]
    public async Task With_no_silo_able_to_featurize_the_job_fails_with_their_reasons()
    {
        await using var cluster = new DynamoDbProcessCluster(_moto, $"all-sick-{Guid.NewGuid():N}");
        cluster.StartSilo(new Dictionary<string, string>(_sick) { ["Fruits__Jobs__NoReadySiloTimeout"] = "00:00:10" });
        await cluster.WaitForActiveSilosAsync(1, TimeSpan.FromMinutes(2));

        await using var client = ChildProcess.Start("fruits",
            ["run", "--cluster", "dynamodb", "--input", _input, "--output", _temp.Combine("output"), "--json"], cluster.Environment);
        Assert.Equal(1, await client.WaitAsync(TimeSpan.FromMinutes(3)));
        var status = JsonDocument.Parse(client.StandardOutput).RootElement;
        Assert.Equal("Failed", status.GetProperty("phase").GetString());
        var error = status.GetProperty("error").GetString()!;
        Assert.Contains("no silo can featurize", error);
        Assert.Contains("cannot be loaded", error);
        Assert.False(File.Exists(_temp.Combine("output/_SUCCESS")));
    }
}
