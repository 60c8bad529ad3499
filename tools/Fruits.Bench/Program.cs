using System.CommandLine;
using System.CommandLine.Invocation;
using System.Text.Json;
using Fruits.Bench;
using Fruits.Client;

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

var command = new BenchCommand();
var parse = command.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
var json = parse.GetValue(command.Json);
if (parse.Action is ParseErrorAction)
{
    return Fail(ExitCodes.BadRequest, CommandLineErrors.Describe(parse));
}

try
{
    return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null }, cancel.Token);
}
catch (OperationCanceledException)
{
    return Fail(ExitCodes.JobFailed, "cancelled");
}
catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException)
{
    return Fail(ExitCodes.BadRequest, e.Message.ReplaceLineEndings(" "));
}

// The error contract of `fruits`: one line on stderr and, with --json, one object on stdout.
int Fail(int exitCode, string message)
{
    Console.Error.WriteLine($"fruits-bench: {message}");
    if (json)
    {
        Console.Out.WriteLine(JsonSerializer.Serialize(new { error = message, exit_code = exitCode }));
    }

    return exitCode;
}
