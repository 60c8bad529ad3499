using System.CommandLine;

namespace Fruits.Client.Commands;

/// <summary>A command whose action gets the shared settings already read, and returns the exit code.</summary>
public abstract class FruitsCommand : Command
{
    protected FruitsCommand(string name, string description, GlobalOptions global)
        : base(name, description)
    {
        Global = global;
        SetAction((parse, cancellationToken) => ExecuteAsync(parse, global.Read(parse), cancellationToken));
    }

    protected GlobalOptions Global { get; }

    protected abstract Task<int> ExecuteAsync(ParseResult parse, CliSettings settings, CancellationToken cancellationToken);
}
