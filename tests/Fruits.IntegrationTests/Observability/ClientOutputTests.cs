using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using Fruits.IntegrationTests.Clustering;
using Fruits.IntegrationTests.EndToEnd;

namespace Fruits.IntegrationTests.Observability;

/// <summary>
/// What the `fruits` process prints when nobody watches a terminal: a progress line on stderr (plain, or JSON
/// lines with --json), and with --json exactly one JSON object on stdout for every command, errors included.
/// </summary>
[Collection(SiloProcessCollection.Name)]
public sealed partial class ClientOutputTests(SiloProcessFixture fixture)
{
    [Fact]
    public void Redirected_run_prints_progress_lines_with_rate_eta_and_failures_on_stderr()
    {
        var progress = fixture.Run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => ProgressLine().Match(l.TrimEnd())).Where(m => m.Success).ToList();
        Assert.True(progress.Count > 0, $"no progress line on stderr:\n{fixture.Run.Stderr}");

        // While featurizing, a line knows the rate and how long is left.
        Assert.True(progress.Any(m => m.Groups["phase"].Value == "featurize" && double.Parse(m.Groups["rate"].Value, CultureInfo.InvariantCulture) > 0 && m.Groups["eta"].Value != "-"),
            $"no featurize line with a rate and an ETA:\n{fixture.Run.Stderr}");
        // While listing, the total is what has been listed so far; from featurizing on it is the whole input.
        Assert.All(progress.Where(m => m.Groups["phase"].Value != "listing"),
            m => Assert.Equal((SiloProcessFixture.Labels * SiloProcessFixture.PerLabel).ToString(CultureInfo.InvariantCulture), m.Groups["total"].Value));

        // stdout holds only the result.
        Assert.DoesNotContain("ETA", fixture.Run.Stdout, StringComparison.Ordinal);
        Assert.Contains(fixture.JobId, fixture.Run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_with_json_prints_progress_json_lines_and_one_result_object()
    {
        var input = ImageSubset.CopyTo(fixture.Combine($"run-json-{Guid.NewGuid():N}"), 2, 3);
        var (exit, stdout, stderr) = await RunAsync(["run", "--input", input, "--output", fixture.Combine($"run-json-out-{Guid.NewGuid():N}"),
            "--gateway-port", fixture.Gateway, "--json", "--progress-interval", "0.2"]);
        Assert.True(exit == 0, $"exit {exit}:\n{stdout}\n{stderr}");

        var result = Parse(stdout);
        Assert.Equal("Completed", result.GetProperty("phase").GetString());
        Assert.Equal(6, result.GetProperty("images_total").GetInt32());
        Assert.Equal(6, result.GetProperty("summary").GetProperty("images_succeeded").GetInt32());

        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lines);
        foreach (var line in lines)
        {
            var progress = Parse(line);
            Assert.Equal("progress", progress.GetProperty("event").GetString());
            Assert.Equal(result.GetProperty("job_id").GetString(), progress.GetProperty("job_id").GetString());
            Assert.True(progress.TryGetProperty("images_per_second", out _) && progress.TryGetProperty("eta_seconds", out _) && progress.TryGetProperty("images_failed", out _), line);
        }
    }

    [Fact]
    public async Task Submit_watch_and_status_with_json()
    {
        var input = ImageSubset.CopyTo(fixture.Combine($"submit-{Guid.NewGuid():N}"), 2, 3);
        var jobId = $"submitted-{Guid.NewGuid():N}"[..24];
        var submit = await RunJsonAsync(["submit", "--input", input, "--output", fixture.Combine($"submit-out-{Guid.NewGuid():N}"),
            "--gateway-port", fixture.Gateway, "--job-id", jobId, "--json"]);
        Assert.Equal(jobId, submit.GetProperty("job_id").GetString());
        Assert.False(string.IsNullOrEmpty(submit.GetProperty("phase").GetString()));

        var watch = await RunJsonAsync(["watch", jobId, "--gateway-port", fixture.Gateway, "--json", "--progress-interval", "0.5"]);
        Assert.Equal("Completed", watch.GetProperty("phase").GetString());
        Assert.Equal(6, watch.GetProperty("summary").GetProperty("images_succeeded").GetInt32());

        var status = await RunJsonAsync(["status", fixture.JobId, "--gateway-port", fixture.Gateway, "--json"]);
        Assert.Equal("Completed", status.GetProperty("phase").GetString());
        Assert.Equal(SiloProcessFixture.Labels * SiloProcessFixture.PerLabel, status.GetProperty("images_done").GetInt32());
        Assert.Equal(0, status.GetProperty("images_failed").GetInt32());
        Assert.Equal(SiloProcessFixture.Batches, status.GetProperty("summary").GetProperty("batches").GetInt32());
    }

    [Fact]
    public async Task Errors_with_json_keep_their_exit_code_and_still_print_a_json_object()
    {
        var (exit, stdout, stderr) = await RunAsync(["status", "no-such-job", "--gateway-port", fixture.Gateway, "--json"]);
        Assert.True(exit == 2, $"exit {exit}:\n{stdout}\n{stderr}");
        var error = Parse(stdout);
        Assert.Equal(2, error.GetProperty("exit_code").GetInt32());
        Assert.Contains("unknown job id 'no-such-job'", error.GetProperty("error").GetString());
        Assert.StartsWith("fruits: ", Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)));

        (exit, stdout, _) = await RunAsync(["run", "--input", fixture.Combine("nowhere"), "--output", fixture.Combine("nowhere-out"), "--json"]);
        Assert.Equal(2, exit);
        Assert.Equal(2, Parse(stdout).GetProperty("exit_code").GetInt32());
    }

    [Fact]
    public async Task Inspect_and_export_csv_with_json()
    {
        var inspect = await RunJsonAsync(["inspect", fixture.Output, "--json"]);
        Assert.Equal(SiloProcessFixture.Labels * SiloProcessFixture.PerLabel, inspect.GetProperty("rows").GetInt32());
        Assert.Equal(SiloProcessFixture.Labels, inspect.GetProperty("labels").EnumerateObject().Count());

        var csv = fixture.Combine($"export-{Guid.NewGuid():N}.csv");
        var export = await RunJsonAsync(["export-csv", fixture.Output, csv, "--json"]);
        Assert.Equal(SiloProcessFixture.Labels * SiloProcessFixture.PerLabel, export.GetProperty("rows").GetInt32());
        Assert.Equal(csv, export.GetProperty("output").GetString());
        Assert.Equal(SiloProcessFixture.Labels * SiloProcessFixture.PerLabel + 1, File.ReadLines(csv).Count());
    }

    [Fact]
    public async Task Model_build_with_json()
    {
        var model = await RunJsonAsync(["model", "build", "--json"]);
        var path = model.GetProperty("path").GetString()!;
        await using var file = File.OpenRead(path);
        Assert.Equal(Convert.ToHexStringLower(await SHA256.HashDataAsync(file)), model.GetProperty("sha256").GetString());
    }

    private static async Task<JsonElement> RunJsonAsync(string[] arguments)
    {
        var (exit, stdout, stderr) = await RunAsync(arguments);
        Assert.True(exit == 0, $"fruits {string.Join(' ', arguments)} exited {exit}:\n{stdout}\n{stderr}");
        return Parse(stdout);
    }

    /// <summary>The whole of stdout must be one JSON value.</summary>
    private static JsonElement Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string[] arguments, TimeSpan? timeout = null)
    {
        await using var process = ChildProcess.Start("fruits", arguments, new Dictionary<string, string>());
        var exit = await process.WaitAsync(timeout ?? TimeSpan.FromMinutes(3));
        return (exit, process.StandardOutput, process.StandardError);
    }

    [GeneratedRegex(@"^(?<phase>[a-z-]+) (?<done>[\d,]+)/(?<total>[\d,]+) images  (?<rate>\d+\.\d) img/s  ETA (?<eta>-|\d+h\d\dm|\d+m\d\ds|\d+s)(  reused (?<reused>[\d,]+))?  failed (?<failed>[\d,]+)$")]
    private static partial Regex ProgressLine();
}
