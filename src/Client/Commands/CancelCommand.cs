using System.CommandLine;
using Fruits.Grains;
using Fruits.Grains.Interfaces;

namespace Fruits.Client.Commands;

/// <summary>`fruits cancel JOB_ID`: stops dispatching a job's batches; the stored ones are kept, so the same spec resumes it.</summary>
public sealed class CancelCommand : FruitsCommand
{
    private readonly Argument<string> _jobId = JobIdArgument.Create();
    private readonly ClusterOptions _cluster = new();

    public CancelCommand(GlobalOptions global)
        : base("cancel", "stop a job; its stored batches are kept, so submitting the same spec resumes it", global)
    {
        Arguments.Add(_jobId);
        _cluster.AddTo(this);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parse, CliSettings settings, CancellationToken cancellationToken)
    {
        var console = Global.JobConsole(parse);
        await using var cluster = await _cluster.ConnectOrEmbedAsync(parse, settings, dashboardPort: null, cancellationToken);
        var (job, _) = await KnownJob.FindAsync(cluster.Grains, parse.GetRequiredValue(_jobId));
        var status = await job.Cancel();
        console.Report(status);
        return status.Phase is JobPhase.Cancelled or JobPhase.Completed ? ExitCodes.Success : ExitCodes.JobFailed;
    }
}
