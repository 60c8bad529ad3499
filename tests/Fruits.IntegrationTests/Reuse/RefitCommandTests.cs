using System.Text.Json;

namespace Fruits.IntegrationTests.Reuse;

/// <summary>`fruits refit` as a user runs it: the real process, its exit code, its one line or its JSON.</summary>
public sealed class RefitCommandTests : IDisposable
{
    private readonly TempDirectory _temp = new("fruits-refit-cli");

    public static TheoryData<string, string[], string> ArgumentCases => new()
    {
        { "neither k nor threshold", [], "give exactly one of --k N or --threshold T" },
        { "both k and threshold", ["--k", "3", "--threshold", "0.8"], "give exactly one of --k N or --threshold T" },
        { "k zero", ["--k", "0"], "--k must be within [1, 1280]" },
        { "threshold above 1", ["--threshold", "1.5"], "--threshold must be within (0, 1]" },
        { "k not a number", ["--k", "many"], "--k must be an integer" },
    };

    [Theory]
    [MemberData(nameof(ArgumentCases))]
    public async Task Bad_arguments_are_refused_and_nothing_is_written(string name, string[] extra, string message)
    {
        var output = _temp.Combine("out");
        await SyntheticOutput.WriteAsync(output, parts: 2, rowsPerPart: 10, dimension: 6);
        var before = Snapshot(output);

        var result = await RunAsync(["refit", output, "--output", _temp.Combine("new"), .. extra]);

        AssertRefused(result, message, name);
        Assert.Equal(before, Snapshot(output));
        Assert.False(Directory.Exists(_temp.Combine("new")));
    }

    [Fact]
    public async Task A_missing_or_unfinished_output_is_refused_and_nothing_is_written()
    {
        var missing = await RunAsync(["refit", _temp.Combine("nowhere"), "--k", "2"]);
        AssertRefused(missing, "does not exist", "missing output");
        Assert.False(Directory.Exists(_temp.Combine("nowhere")));

        var unfinished = _temp.Combine("unfinished");
        await SyntheticOutput.WriteAsync(unfinished, parts: 2, rowsPerPart: 10, dimension: 6);
        File.Delete(Path.Combine(unfinished, "_SUCCESS"));
        var before = Snapshot(unfinished);
        var refused = await RunAsync(["refit", unfinished, "--k", "2", "--output", _temp.Combine("new")]);
        AssertRefused(refused, "holds an unfinished job", "unfinished output");
        Assert.Equal(before, Snapshot(unfinished));
        Assert.False(Directory.Exists(_temp.Combine("new")));
    }

    [Fact]
    public async Task Refit_with_json_prints_the_new_summary_and_finishes_the_new_output()
    {
        var output = _temp.Combine("out");
        await SyntheticOutput.WriteAsync(output, parts: 3, rowsPerPart: 20, dimension: 8);
        var target = _temp.Combine("refit");

        var (exit, stdout, stderr) = await RunAsync(["refit", output, "--k", "3", "--output", target, "--json"]);

        Assert.True(exit == 0, $"exit {exit}, stderr: {stderr}");
        using var json = JsonDocument.Parse(stdout);
        Assert.Equal(3, json.RootElement.GetProperty("k").GetInt32());
        Assert.Equal(60, json.RootElement.GetProperty("images_succeeded").GetInt32());
        Assert.Equal(output, json.RootElement.GetProperty("refit_of").GetString());
        Assert.True(File.Exists(Path.Combine(target, "_SUCCESS")));
        using var db = new DuckDb();
        Assert.Equal(60, db.Scalar<int>($"SELECT count(*) FROM read_parquet({DuckDb.Quote(Path.Combine(target, "part-*.parquet"))}) WHERE len(pca_features) = 3"));
    }

    public void Dispose() => _temp.Dispose();

    private static Dictionary<string, DateTime> Snapshot(string folder) =>
        Directory.GetFiles(folder, "*", SearchOption.AllDirectories).ToDictionary(f => f, File.GetLastWriteTimeUtc);

    private static void AssertRefused((int ExitCode, string Stdout, string Stderr) result, string message, string name)
    {
        Assert.True(result.ExitCode == 2, $"{name}: exit {result.ExitCode}, stderr: {result.Stderr}");
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"{name}: expected one line, got:\n{result.Stderr}");
        Assert.StartsWith("fruits: ", lines[0], StringComparison.Ordinal);
        Assert.Contains(message, lines[0], StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string[] arguments)
    {
        await using var process = ChildProcess.Start("fruits", arguments, new Dictionary<string, string>());
        var exit = await process.WaitAsync(TimeSpan.FromMinutes(2));
        return (exit, process.StandardOutput, process.StandardError);
    }
}
