using System.CommandLine;
using System.CommandLine.Help;

namespace Fruits.Client.Commands;

/// <summary>The `fruits` program: its commands, the options they share, and its help.</summary>
public sealed class FruitsRootCommand : RootCommand
{
    public FruitsRootCommand()
        : base("""
            fruits: MobileNetV2 features + PCA for folders of images, on Orleans

            every command: --json (stdout = one JSON object; progress = JSON lines on stderr), --verbose
            run/watch progress: a live bar on a terminal, else a line on stderr every 5 s (images, img/s, ETA, failed)
            exit codes: 0 done, 1 job failed, 2 bad request, 3 cluster unreachable
            """)
    {
        // Only --help and -h: the default's "/h" and "/?" are also valid paths on Unix.
        foreach (var help in Options.OfType<HelpOption>().ToList())
        {
            Options.Remove(help);
        }

        Options.Add(new HelpOption("--help", ["-h"]));
        Options.Add(Global.Json);
        Options.Add(Global.Verbose);
        Subcommands.Add(new RunCommand(Global));
        Subcommands.Add(new SubmitCommand(Global));
        Subcommands.Add(new StatusCommand(Global));
        Subcommands.Add(new WatchCommand(Global));
        Subcommands.Add(new JobsCommand(Global));
        Subcommands.Add(new CancelCommand(Global));
        Subcommands.Add(new InspectCommand(Global));
        Subcommands.Add(new ExportCsvCommand(Global));
        Subcommands.Add(new RefitCommand(Global));
        Subcommands.Add(new ClassifyCommand(Global));
        Subcommands.Add(new ServeCommand(Global));
        Subcommands.Add(new EvaluateCommand(Global));
        Subcommands.Add(new ModelCommand(Global));
        Subcommands.Add(new HelpCommand(this));
        SetAction(parse => Parse(["--help"]).Invoke());
    }

    public GlobalOptions Global { get; } = new();
}
