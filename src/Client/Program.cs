using System.CommandLine;
using System.CommandLine.Invocation;
using System.Text.Json;
using Fruits.Client;
using Fruits.Client.Commands;

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

var root = new FruitsRootCommand();
// Arguments are paths and values, never response files: "@name" stays a plain argument.
var parse = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
var settings = root.Global.Read(parse);
if (parse.Action is ParseErrorAction)
{
    return Fail(ExitCodes.BadRequest, CommandLineErrors.Describe(parse));
}

try
{
    return await parse.InvokeAsync(
        // Failures are reported below as one line with their exit code, and Ctrl+C is handled above, so the
        // parser neither prints exceptions nor installs its own termination handling.
        new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null },
        cancel.Token);
}
catch (UsageException e)
{
    return Fail(ExitCodes.BadRequest, e.Message);
}
catch (ClusterUnreachableException e)
{
    return Fail(ExitCodes.ClusterUnreachable, e.Message);
}
catch (OperationCanceledException)
{
    return Fail(ExitCodes.JobFailed, "cancelled (a submitted job keeps running on its cluster)");
}
catch (Exception e) when (e is ArgumentException or InvalidOperationException or Fruits.Pipeline.Storage.StorageException)
{
    return Fail(ExitCodes.BadRequest, e.Message.ReplaceLineEndings(" "), settings.Verbose ? e.ToString() : null);
}

// One line on stderr for people; with --json also one object on stdout, so a script always has JSON to parse.
int Fail(int exitCode, string message, string? detail = null)
{
    Console.Error.WriteLine($"fruits: {detail ?? message}");
    if (settings.Json)
    {
        Console.Out.WriteLine(JsonSerializer.Serialize(new { error = message, exit_code = exitCode }));
    }

    return exitCode;
}
