using Fruits.Grains;
using Fruits.Grains.Interfaces;
using Fruits.IntegrationTests.EndToEnd;

namespace Fruits.IntegrationTests.Readiness;

/// <summary>
/// A silo that cannot featurize (its model does not load, or is not the model the cluster expects) says so through
/// <see cref="ISiloRouterGrain.GetReadiness"/> with capacity 0, instead of taking batches it would fail.
/// </summary>
public sealed class SiloReadinessTests
{
    [Theory]
    [InlineData(true)]   // decided by the start-up warm-up
    [InlineData(false)]  // decided by the first question, building one session
    public async Task A_silo_with_a_truncated_model_is_not_ready_and_says_why(bool warmSessionsOnStart)
    {
        var model = await TestModel.EnsureAsync();
        using var folder = new TempDirectory("fruits-readiness");
        var truncated = folder.Combine("truncated.onnx");
        var bytes = await File.ReadAllBytesAsync(model.Path);
        await File.WriteAllBytesAsync(truncated, bytes[..(bytes.Length / 2)]);

        await using var silo = await InProcessSilo.StartAsync($"readiness-bad-{warmSessionsOnStart}", Settings(truncated, warmSessionsOnStart));
        var worker = silo.Grains.GetGrain<ISiloRouterGrain>(silo.WorkerKey);
        var readiness = await worker.GetReadiness();

        Assert.False(readiness.Ready);
        Assert.Equal(0, readiness.Capacity);
        Assert.NotNull(readiness.Reason);
        Assert.StartsWith($"model {truncated} cannot be loaded: InvalidProtobuf: ", readiness.Reason);
        Assert.DoesNotContain('\n', readiness.Reason);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes[..(bytes.Length / 2)])), readiness.ModelSha256);

        // The verdict is kept for the silo's life: a later question neither builds another session nor changes it,
        // even once the file on disk has been repaired (a restarted silo decides again).
        await File.WriteAllBytesAsync(truncated, bytes);
        Assert.Equal(readiness, await worker.GetReadiness());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_silo_with_the_expected_model_is_ready_with_its_capacity_and_the_model_sha256(bool warmSessionsOnStart)
    {
        var model = await TestModel.EnsureAsync();
        var settings = Settings(model.Path, warmSessionsOnStart);
        settings["Fruits:Readiness:ExpectedModelSha256"] = model.Sha256.ToUpperInvariant();

        await using var silo = await InProcessSilo.StartAsync($"readiness-good-{warmSessionsOnStart}", settings);
        var readiness = await silo.Grains.GetGrain<ISiloRouterGrain>(silo.WorkerKey).GetReadiness();

        Assert.Equal(new SiloReadiness(Capacity: 1, Ready: true, Reason: null, ModelSha256: model.Sha256), readiness);
    }

    [Fact]
    public async Task A_silo_whose_model_is_not_the_one_the_cluster_expects_is_not_ready()
    {
        var model = await TestModel.EnsureAsync();
        var expected = new string('a', 64);
        var settings = Settings(model.Path, warmSessionsOnStart: true);
        settings["Fruits:Readiness:ExpectedModelSha256"] = expected;

        await using var silo = await InProcessSilo.StartAsync("readiness-other-model", settings);
        var readiness = await silo.Grains.GetGrain<ISiloRouterGrain>(silo.WorkerKey).GetReadiness();

        Assert.False(readiness.Ready);
        Assert.Equal(0, readiness.Capacity);
        Assert.Equal($"model {model.Path} has sha256 {model.Sha256}, not the {expected} the cluster expects", readiness.Reason);
        Assert.Equal(model.Sha256, readiness.ModelSha256);
    }

    [Fact]
    public void An_expected_sha256_that_is_not_one_is_refused_with_the_setting_named()
    {
        var result = new SiloReadinessOptionsValidator().Validate(null, new SiloReadinessOptions { ExpectedModelSha256 = "abc" });
        Assert.True(result.Failed);
        Assert.Contains("Fruits:Readiness:ExpectedModelSha256 must be 64 hex digits", result.FailureMessage);
        Assert.True(new SiloReadinessOptionsValidator().Validate(null, new SiloReadinessOptions()).Succeeded);
    }

    private static Dictionary<string, string?> Settings(string modelPath, bool warmSessionsOnStart) => new()
    {
        ["Fruits:Featurizer:ModelPath"] = modelPath,
        ["Fruits:Featurizer:WeightsDirectory"] = TestPaths.WeightsDirectory,
        ["Fruits:Featurizer:MaxConcurrentBatches"] = "1",
        ["Fruits:Featurizer:WarmSessionsOnStart"] = warmSessionsOnStart ? "true" : "false",
    };
}
