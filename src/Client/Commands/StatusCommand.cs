using System.CommandLine;

namespace Fruits.Client.Commands;

/// <summary>`fruits status JOB_ID`: one status line, or the summary of a finished job.</summary>
public sealed class StatusCommand : FruitsCommand
{
    private readonly Argument<string> _jobId = JobIdArgument.Create();
    private readonly ClusterOptions _cluster = new();

    public StatusCommand(GlobalOptions global)
        : base("status", "one status line for a job, or its summary once it has ended (exit 1 if it failed)", global)
    {
        Arguments.Add(_jobId);
        _cluster.AddTo(this);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parse, CliSettings settings, CancellationToken cancellationToken)
    {
        var console = Global.JobConsole(parse);
        await using var cluster = await _cluster.ConnectAsync(parse, settings, cancellationToken);
        var (_, status) = await KnownJob.FindAsync(cluster.Grains, parse.GetRequiredValue(_jobId));
        return console.Report(status);
    }
}
