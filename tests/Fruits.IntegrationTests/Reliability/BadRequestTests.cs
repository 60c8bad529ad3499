using System.Net;
using System.Net.Sockets;
using Fruits.IntegrationTests.Clustering;
using Fruits.IntegrationTests.EndToEnd;

namespace Fruits.IntegrationTests.Reliability;

/// <summary>A bad request stops the real `fruits` process with one readable line and a non-zero exit code.</summary>
public sealed class BadRequestTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public static TheoryData<string, string[], int, string> ArgumentCases => new()
    {
        { "threshold above 1", ["--threshold", "1.5"], 2, "--threshold must be within (0, 1]" },
        { "threshold zero", ["--threshold", "0"], 2, "--threshold must be within (0, 1]" },
        { "k zero", ["--k", "0"], 2, "--k must be within [1, 1280]" },
        { "k too large", ["--k", "1281"], 2, "--k must be within [1, 1280]" },
        { "batch size zero", ["--batch-size", "0"], 2, "--batch-size must be positive" },
        { "batch size not a number", ["--batch-size", "many"], 2, "--batch-size must be an integer" },
        { "threshold and k", ["--threshold", "0.8", "--k", "4"], 2, "either --threshold or --k" },
        { "unknown option", ["--thresold", "0.8"], 2, "unknown option --thresold" },
        { "dashboard with a running cluster", ["--dashboard", "8080", "--gateway-port", "30000"], 2, "--dashboard is for the embedded silo" },
        { "progress interval zero", ["--progress-interval", "0"], 2, "--progress-interval must be positive" },
    };

    [Theory]
    [MemberData(nameof(ArgumentCases))]
    public async Task Bad_arguments_are_refused_before_any_work(string name, string[] extra, int exitCode, string message)
    {
        var input = ImageSubset.CopyTo(_temp.Combine("input"), 1, 2);
        var result = await RunAsync(["run", "--input", input, "--output", _temp.Combine("out"), .. extra]);
        AssertRefused(result, exitCode, message, name);
        Assert.False(Directory.Exists(_temp.Combine("out")), "nothing may be written");
    }

    [Fact]
    public async Task Missing_input_is_refused()
    {
        var result = await RunAsync(["run", "--input", _temp.Combine("nowhere"), "--output", _temp.Combine("out")]);
        AssertRefused(result, 2, "does not exist", "missing input");
    }

    [Fact]
    public async Task Input_without_images_is_refused_before_dispatch()
    {
        var empty = Directory.CreateDirectory(_temp.Combine("empty")).FullName;
        File.WriteAllText(Path.Combine(empty, "readme.txt"), "no images here");
        var result = await RunAsync(["run", "--input", empty, "--output", _temp.Combine("out")]);
        AssertRefused(result, 2, "holds no .jpg or .jpeg images", "empty input");
        Assert.False(Directory.Exists(_temp.Combine("out/_work")));
    }

    [Fact]
    public async Task Output_holding_a_finished_job_is_refused_without_overwrite()
    {
        var input = ImageSubset.CopyTo(_temp.Combine("input"), 1, 2);
        var output = Directory.CreateDirectory(_temp.Combine("out")).FullName;
        File.WriteAllText(Path.Combine(output, "_SUCCESS"), "");
        File.WriteAllText(Path.Combine(output, "keep-me.txt"), "a user's file");
        var result = await RunAsync(["run", "--input", input, "--output", output]);
        AssertRefused(result, 2, "already holds a finished job; pass --overwrite", "finished output");
        Assert.True(File.Exists(Path.Combine(output, "_SUCCESS")));
        Assert.True(File.Exists(Path.Combine(output, "keep-me.txt")));
    }

    [Fact]
    public async Task Output_that_cannot_be_written_is_refused()
    {
        var input = ImageSubset.CopyTo(_temp.Combine("input"), 1, 2);
        var blocker = _temp.Combine("a-file");
        File.WriteAllText(blocker, "a file where a folder would have to be");
        var result = await RunAsync(["run", "--input", input, "--output", Path.Combine(blocker, "out")]);
        AssertRefused(result, 2, "not writable", "unwritable output");
    }

    [Fact]
    public async Task Unreachable_cluster_exits_with_code_3()
    {
        // Nothing listens there, so the connection never succeeds: the command waits out its connect time limit.
        var result = await RunAsync(
            ["status", "some-job", "--gateway-port", ClosedPort().ToString(System.Globalization.CultureInfo.InvariantCulture)],
            new Dictionary<string, string> { ["Fruits__Client__ConnectTimeout"] = "00:00:04" });
        AssertRefused(result, 3, "cannot reach the cluster", "unreachable cluster");
        Assert.Contains("no gateway answered within 4 s", result.Stderr);
    }

    [Fact]
    public async Task Unknown_command_is_refused()
    {
        var result = await RunAsync(["frobnicate"]);
        AssertRefused(result, 2, "unknown command 'frobnicate'", "unknown command");
    }

    [Fact]
    public async Task Unknown_command_with_json_prints_the_error_object()
    {
        var result = await RunAsync(["frobnicate", "--json"]);
        AssertRefused(result, 2, "unknown command 'frobnicate'", "unknown command, --json");
        using var error = System.Text.Json.JsonDocument.Parse(result.Stdout);
        Assert.Equal(2, error.RootElement.GetProperty("exit_code").GetInt32());
        Assert.Contains("unknown command 'frobnicate'", error.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_help_lists_its_options_and_exits_0()
    {
        var (exit, stdout, stderr) = await RunAsync(["run", "--help"]);
        Assert.True(exit == 0, $"exit {exit}, stderr: {stderr}");
        Assert.Contains("--input", stdout, StringComparison.Ordinal);
        Assert.Contains("--threshold", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("--no-full", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("--progress-interval", stdout, StringComparison.Ordinal);
        Assert.Equal("", stderr.Trim());
    }

    [Theory]
    [InlineData("help")]
    [InlineData("help run")]
    [InlineData("model build --help")]
    [InlineData("status --help")]
    public async Task Help_exits_0_with_a_description_on_stdout(string arguments)
    {
        var (exit, stdout, stderr) = await RunAsync(arguments.Split(' '));
        Assert.True(exit == 0, $"exit {exit}, stderr: {stderr}");
        Assert.Contains("Usage:", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_option_of_another_command_is_refused()
    {
        var input = ImageSubset.CopyTo(_temp.Combine("input"), 1, 2);
        var result = await RunAsync(["run", "--input", input, "--output", _temp.Combine("out"), "--no-full"]);
        AssertRefused(result, 2, "unknown option --no-full for 'run'", "bench option on run");
        Assert.False(Directory.Exists(_temp.Combine("out")), "nothing may be written");
    }

    [Fact]
    public async Task Jobs_refuses_a_job_spec_option()
    {
        var result = await RunAsync(["jobs", "--input", "x"]);
        AssertRefused(result, 2, "unknown option --input for 'jobs'", "jobs --input");
    }

    [Theory]
    [InlineData("run --output somewhere", "--input")]
    [InlineData("status", "JOB_ID")]
    [InlineData("model", "build")]
    [InlineData("status some-job extra", "unexpected argument 'extra'")]
    public async Task A_missing_or_extra_argument_is_refused_in_one_line(string arguments, string message)
    {
        var result = await RunAsync(arguments.Split(' '));
        AssertRefused(result, 2, message, arguments);
    }

    private static void AssertRefused((int ExitCode, string Stdout, string Stderr) result, int exitCode, string message, string name)
    {
        Assert.True(result.ExitCode == exitCode, $"{name}: exit {result.ExitCode}, stderr: {result.Stderr}");
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"{name}: expected one line, got:\n{result.Stderr}");
        Assert.Contains(message, lines[0]);
        Assert.StartsWith("fruits: ", lines[0]);
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string[] arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        await using var process = ChildProcess.Start("fruits", arguments, environment ?? new Dictionary<string, string>());
        var exit = await process.WaitAsync(TimeSpan.FromMinutes(2));
        return (exit, process.StandardOutput, process.StandardError);
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose() => _temp.Dispose();
}
