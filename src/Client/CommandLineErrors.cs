using System.CommandLine;
using System.Globalization;

namespace Fruits.Client;

/// <summary>
/// Turns a command line that did not parse into the one line that the error contract promises (exit code 2),
/// instead of the parser's own list of errors followed by the whole help text.
/// </summary>
public static class CommandLineErrors
{
    public static string Describe(ParseResult parse)
    {
        var command = parse.CommandResult.Command;
        var program = parse.RootCommandResult.Command.Name;
        var path = CommandPath(command);
        var help = command is RootCommand ? $"try: {program} --help" : $"try: {program} {path} --help";
        if (parse.UnmatchedTokens.FirstOrDefault() is { } token)
        {
            var isOption = token.StartsWith('-') && token.Length > 1 && !double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
            return (command is RootCommand, isOption) switch
            {
                (true, true) => $"unknown option {token} ({help})",
                (true, false) when command.Subcommands.Count > 0 => $"unknown command '{token}' ({help})",
                (true, false) => $"unexpected argument '{token}' ({help})",
                (false, true) => $"unknown option {token} for '{path}' ({help})",
                (false, false) => $"unexpected argument '{token}' for '{path}' ({help})",
            };
        }

        if (command.Action is null && command.Subcommands.Count > 0)
        {
            return $"'{path}' needs one of its commands: {string.Join(", ", command.Subcommands.Select(c => c.Name))} ({help})";
        }

        var message = parse.Errors.Count > 0 ? parse.Errors[0].Message.ReplaceLineEndings(" ") : "the command line did not parse";
        return $"{message} ({help})";
    }

    /// <summary>"model build" for a nested command; the program's own name is left out.</summary>
    private static string CommandPath(Command command)
    {
        var names = new List<string>();
        for (Symbol? symbol = command; symbol is Command { } current and not RootCommand; symbol = current.Parents.FirstOrDefault())
        {
            names.Insert(0, current.Name);
        }

        return string.Join(' ', names);
    }
}
