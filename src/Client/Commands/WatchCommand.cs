using System.CommandLine;

namespace Fruits.Client.Commands;

/// <summary>`fruits watch JOB_ID`: follows a running job's progress until it ends, then prints its summary.</summary>
public sealed class WatchCommand : FruitsCommand
{
    private readonly Argument<string> _jobId = JobIdArgument.Create();
    private readonly ClusterOptions _cluster = new();

    public WatchCommand(GlobalOptions global)
        : base("watch", "live progress of a job until it ends, then its summary", global)
    {
        Arguments.Add(_jobId);
        _cluster.AddTo(this);
        Options.Add(global.ProgressInterval);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parse, CliSettings settings, CancellationToken cancellationToken)
    {
        var console = Global.JobConsole(parse);
        await using var cluster = await _cluster.ConnectAsync(parse, settings, cancellationToken);
        var (job, _) = await KnownJob.FindAsync(cluster.Grains, parse.GetRequiredValue(_jobId));
        return console.Report(await console.WatchAsync(job, cancellationToken));
    }
}
