using System.CommandLine;
using Fruits.Grains;
using Fruits.Grains.Interfaces;

namespace Fruits.Client.Commands;

/// <summary>`fruits run`: starts a job and follows it to its end, on an embedded silo unless a cluster is named.</summary>
public sealed class RunCommand : FruitsCommand
{
    private readonly JobSpecOptions _spec = new();
    private readonly ClusterOptions _cluster = new();
    private readonly Option<int?> _dashboard = NumberOptions.Integer(
        "--dashboard", "serve the embedded silo's Orleans Dashboard on http://127.0.0.1:PORT/ while the job runs", "PORT");

    public RunCommand(GlobalOptions global)
        : base("run", "run a job and show its progress and summary; on an embedded local silo unless --cluster or --gateway-port names a running cluster", global)
    {
        _spec.AddTo(this);
        _cluster.AddTo(this);
        Options.Add(_dashboard);
        Options.Add(global.ProgressInterval);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parse, CliSettings settings, CancellationToken cancellationToken)
    {
        var spec = _spec.Read(parse);
        var jobId = _spec.ReadJobId(parse);
        var dashboard = parse.GetValue(_dashboard);
        if (dashboard is not null && _cluster.Named(parse))
        {
            throw new UsageException("--dashboard is for the embedded silo; a running cluster's silos enable it with Fruits__Dashboard__Enabled=true");
        }

        var console = Global.JobConsole(parse);
        await using var cluster = await _cluster.ConnectOrEmbedAsync(parse, settings, dashboard, cancellationToken);
        if (dashboard is not null && !settings.Json)
        {
            Console.Error.WriteLine($"fruits: Orleans dashboard on http://127.0.0.1:{dashboard}/ while the job runs");
        }

        var job = cluster.Grains.GetGrain<IJobGrain>(jobId);
        await job.Start(spec);
        return console.Report(await console.WatchAsync(job, cancellationToken));
    }
}
