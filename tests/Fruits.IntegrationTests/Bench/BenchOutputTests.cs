using System.Text.Json;
using Fruits.IntegrationTests.Clustering;
using Fruits.IntegrationTests.EndToEnd;

namespace Fruits.IntegrationTests.Bench;

/// <summary>The `fruits-bench` tool's output contract: with --json, one object on stdout holding every figure.</summary>
public sealed class BenchOutputTests : IDisposable
{
    private readonly TempDirectory _temp = new("fruits-bench-test");

    [Fact]
    public async Task Bench_with_json_prints_its_figures_as_one_object()
    {
        // The smallest bench there is: this checks the output contract, not the machine's speed.
        await TestModel.EnsureAsync();
        var input = ImageSubset.CopyTo(_temp.Combine("input"), 2, 3);
        var (exit, stdout, stderr) = await RunAsync(["--input", input, "--subset", "6", "--seconds", "0.3", "--no-full", "--json"], TimeSpan.FromMinutes(5));
        Assert.True(exit == 0, $"exit {exit}:\n{stdout}\n{stderr}");
        var bench = Parse(stdout);
        Assert.Equal(6, bench.GetProperty("input").GetProperty("images").GetInt32());
        Assert.True(bench.GetProperty("ceiling_images_per_second").GetDouble() > 0);
        Assert.NotEmpty(bench.GetProperty("onnx").EnumerateArray());
        var job = Assert.Single(bench.GetProperty("jobs").EnumerateArray());
        Assert.Equal(6, job.GetProperty("images").GetInt32());
        Assert.True(job.GetProperty("images_per_second").GetDouble() > 0);

        // Each job's ceiling is the mean of the samples taken around (and, for long jobs, through) it.
        var samples = job.GetProperty("ceiling_samples").EnumerateArray().Select(e => e.GetDouble()).ToList();
        Assert.True(samples.Count >= 2 && samples.All(x => x > 0), $"ceiling samples {string.Join(", ", samples)}");
        Assert.Equal(samples.Average(), job.GetProperty("ceiling_images_per_second").GetDouble(), 9);
        Assert.Equal(job.GetProperty("images_per_second").GetDouble() / samples.Average(), job.GetProperty("ratio_to_ceiling").GetDouble(), 9);
        Assert.Contains("(a) bare ONNX Runtime", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bench_refuses_an_unknown_option_in_one_line_with_exit_2_and_a_json_error()
    {
        var (exit, stdout, stderr) = await RunAsync(["--subsett", "6", "--json"], TimeSpan.FromMinutes(1));
        Assert.Equal(2, exit);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("fruits-bench: unknown option --subsett", line, StringComparison.Ordinal);
        Assert.Equal(2, Parse(stdout).GetProperty("exit_code").GetInt32());
    }

    [Fact]
    public async Task Bench_refuses_an_input_without_images()
    {
        var empty = Directory.CreateDirectory(_temp.Combine("empty")).FullName;
        File.WriteAllText(Path.Combine(empty, "readme.txt"), "no images here");
        var (exit, _, stderr) = await RunAsync(["--input", empty, "--no-full"], TimeSpan.FromMinutes(2));
        Assert.Equal(2, exit);
        Assert.Contains("holds no .jpg or .jpeg images", Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
    }

    /// <summary>The whole of stdout must be one JSON value.</summary>
    private static JsonElement Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string[] arguments, TimeSpan timeout)
    {
        await using var process = ChildProcess.Start("fruits-bench", arguments, new Dictionary<string, string>());
        var exit = await process.WaitAsync(timeout);
        return (exit, process.StandardOutput, process.StandardError);
    }

    public void Dispose() => _temp.Dispose();
}
