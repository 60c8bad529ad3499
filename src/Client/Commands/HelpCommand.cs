using System.CommandLine;

namespace Fruits.Client.Commands;

/// <summary>`fruits help [COMMAND…]`: the same text as `fruits [COMMAND…] --help`.</summary>
public sealed class HelpCommand : Command
{
    private readonly Argument<string[]> _command = new("COMMAND")
    {
        Description = "the command to describe, e.g. `run` or `model build`",
        Arity = ArgumentArity.ZeroOrMore,
    };

    public HelpCommand(RootCommand root)
        : base("help", "describe the program, or one command and its options")
    {
        Arguments.Add(_command);
        SetAction(parse =>
        {
            var names = parse.GetValue(_command) ?? [];
            Command command = root;
            foreach (var name in names)
            {
                command = command.Subcommands.FirstOrDefault(c => c.Name == name)
                    ?? throw new UsageException($"unknown command '{string.Join(' ', names)}' (try: fruits help)");
            }

            return root.Parse([.. names, "--help"]).Invoke();
        });
    }
}
