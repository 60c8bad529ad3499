using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Fruits.Grains;
using Fruits.Grains.Interfaces;
using Spectre.Console;

namespace Fruits.Client.Commands;

/// <summary>`fruits jobs`: the cluster's job registry, with live progress for the jobs still running.</summary>
public sealed class JobsCommand : FruitsCommand
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };

    private readonly ClusterOptions _cluster = new();

    public JobsCommand(GlobalOptions global)
        : base("jobs", "the cluster's jobs (id, input, output, phase, progress, submitted, finished); without a cluster named, the jobs of this machine's embedded silo", global)
    {
        _cluster.AddTo(this);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parse, CliSettings settings, CancellationToken cancellationToken)
    {
        await using var cluster = await _cluster.ConnectOrEmbedAsync(parse, settings, dashboardPort: null, cancellationToken);
        return await ListAsync(cluster.Grains, AnsiConsole.Console, settings.Json);
    }

    private static async Task<int> ListAsync(IClusterClient cluster, IAnsiConsole console, bool json)
    {
        var listings = await cluster.GetGrain<IJobRegistryGrain>(0).List();
        var rows = new List<JobRow>(listings.Count);
        foreach (var listing in listings)
        {
            // Finished jobs are listed from the registry; an unfinished one is asked for its progress.
            var status = listing.Phase is JobPhase.Completed or JobPhase.Failed or JobPhase.Cancelled
                ? null
                : await cluster.GetGrain<IJobGrain>(listing.JobId).GetStatus();
            rows.Add(new JobRow(
                listing.JobId,
                listing.Input,
                listing.Output,
                status?.Phase ?? listing.Phase,
                status is null ? null : status.ImagesDone + status.ImagesFailed,
                status?.ImagesTotal,
                status?.Running ?? false,
                listing.SubmittedUtc,
                status?.FinishedUtc ?? listing.FinishedUtc));
        }

        if (json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(new { jobs = rows }, Json));
            return ExitCodes.Success;
        }

        if (rows.Count == 0)
        {
            console.WriteLine("no jobs");
            return ExitCodes.Success;
        }

        var table = new Table().Border(TableBorder.Rounded).AddColumns("job", "input", "output", "phase", "progress", "submitted", "finished");
        foreach (var row in rows)
        {
            table.AddRow(
                Markup.Escape(row.JobId),
                Markup.Escape(row.Input),
                Markup.Escape(row.Output),
                row.Phase.ToString() + (row.Phase is JobPhase.Completed or JobPhase.Failed or JobPhase.Cancelled || row.Running ? "" : " (waiting to resume)"),
                row.ImagesTotal is { } total ? string.Create(CultureInfo.InvariantCulture, $"{row.ImagesDone:N0}/{total:N0}") : "",
                row.SubmittedUtc.ToString("u", CultureInfo.InvariantCulture),
                row.FinishedUtc?.ToString("u", CultureInfo.InvariantCulture) ?? "");
        }

        console.Write(table);
        return ExitCodes.Success;
    }
}
