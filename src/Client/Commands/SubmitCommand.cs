using System.CommandLine;
using System.Text.Json;
using Fruits.Grains;
using Fruits.Grains.Interfaces;

namespace Fruits.Client.Commands;

/// <summary>`fruits submit`: starts a job on a running cluster and prints its id; the job goes on without this process.</summary>
public sealed class SubmitCommand : FruitsCommand
{
    private readonly JobSpecOptions _spec = new();
    private readonly ClusterOptions _cluster = new();

    public SubmitCommand(GlobalOptions global)
        : base("submit", "start a job on a running cluster and print its id", global)
    {
        _spec.AddTo(this);
        _cluster.AddTo(this);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parse, CliSettings settings, CancellationToken cancellationToken)
    {
        var spec = _spec.Read(parse);
        var jobId = _spec.ReadJobId(parse);
        await using var cluster = await _cluster.ConnectAsync(parse, settings, cancellationToken);
        var status = await cluster.Grains.GetGrain<IJobGrain>(jobId).Start(spec);
        Console.WriteLine(settings.Json ? JsonSerializer.Serialize(new { job_id = jobId, phase = status.Phase.ToString() }) : jobId);
        return ExitCodes.Success;
    }
}
