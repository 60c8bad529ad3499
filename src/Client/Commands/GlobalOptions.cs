using System.CommandLine;
using Spectre.Console;

namespace Fruits.Client.Commands;

/// <summary>
/// Options defined once for the whole program: --json and --verbose apply to every command; the hidden
/// --progress-interval to the commands that print progress while a job runs.
/// </summary>
public sealed class GlobalOptions
{
    public Option<bool> Json { get; } = new("--json")
    {
        Description = "stdout is exactly one JSON object (errors too: {\"error\":…,\"exit_code\":N}); progress is JSON lines on stderr",
        Recursive = true,
    };

    public Option<bool> Verbose { get; } = new("--verbose")
    {
        Description = "show Orleans and silo logs, and the full exception on an error",
        Recursive = true,
    };

    /// <summary>How often a redirected or --json watch prints a progress line; tests use a short one.</summary>
    public Option<double?> ProgressInterval { get; } = HiddenOption(
        NumberOptions.Number("--progress-interval", "seconds between progress lines when stderr is not a terminal", "SECONDS", positive: true));

    public CliSettings Read(ParseResult parse) => new(parse.GetValue(Json), parse.GetValue(Verbose));

    public JobConsole JobConsole(ParseResult parse) =>
        new(AnsiConsole.Console, parse.GetValue(Json),
            parse.GetValue(ProgressInterval) is { } seconds ? TimeSpan.FromSeconds(seconds) : Client.JobConsole.DefaultProgressInterval);

    private static Option<double?> HiddenOption(Option<double?> option)
    {
        option.Hidden = true;
        return option;
    }
}
