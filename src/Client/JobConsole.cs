using System.Text.Json;
using Fruits.Grains;
using Fruits.Grains.Interfaces;
using Spectre.Console;

namespace Fruits.Client;

/// <summary>
/// Shows a job's progress live and its summary at the end. The result goes to stdout; progress goes to stderr
/// (a live bar on a terminal, otherwise a line every <paramref name="progressInterval"/>: plain text, or JSON
/// lines with --json), so redirected stdout holds only the result.
/// </summary>
public sealed class JobConsole(IAnsiConsole console, bool json, TimeSpan progressInterval)
{
    public static readonly TimeSpan DefaultProgressInterval = TimeSpan.FromSeconds(5);

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };

    /// <summary>
    /// Polls until the job ends. A job whose silo was lost is resumed by the cluster itself (its reminder), so
    /// watching only reads: polls that fail while membership settles are retried for a while.
    /// </summary>
    public async Task<JobStatus> WatchAsync(IJobGrain job, CancellationToken cancellationToken)
    {
        var status = await job.GetStatus();
        var failingSince = (DateTime?)null;
        async Task<JobStatus> Poll()
        {
            try
            {
                var next = await job.GetStatus();
                failingSince = null;
                return next;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A silo dying under the job makes a poll or two fail until membership catches up.
                failingSince ??= DateTime.UtcNow;
                if (DateTime.UtcNow - failingSince > TimeSpan.FromMinutes(1))
                {
                    throw;
                }

                return status;
            }
        }

        if (json || !console.Profile.Capabilities.Interactive)
        {
            var sinceLine = System.Diagnostics.Stopwatch.StartNew();
            var lastPhase = status.Phase;
            if (!status.IsFinished)
            {
                WriteProgress(status);
            }

            while (!status.IsFinished)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(500, progressInterval.TotalMilliseconds)), cancellationToken);
                status = await Poll();
                if (!status.IsFinished && (sinceLine.Elapsed >= progressInterval || status.Phase != lastPhase))
                {
                    WriteProgress(status);
                    sinceLine.Restart();
                    lastPhase = status.Phase;
                }
            }

            return status;
        }

        await console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask("starting", maxValue: 1);
                while (true)
                {
                    task.MaxValue = Math.Max(1, status.ImagesTotal);
                    task.Value = status.ImagesDone + status.ImagesFailed;
                    task.Description = Describe(status);
                    if (status.IsFinished)
                    {
                        task.Value = task.MaxValue;
                        task.StopTask();
                        break;
                    }

                    await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
                    status = await Poll();
                }
            });
        return status;
    }

    public int Report(JobStatus status)
    {
        if (json)
        {
            // Peak RSS of this process: with an embedded silo, the whole job's memory high-water mark.
            var peakMb = System.Diagnostics.Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024.0);
            Console.Out.WriteLine(JsonSerializer.Serialize(new
            {
                status.JobId,
                status.Phase,
                status.Error,
                status.ImagesTotal,
                status.ImagesDone,
                status.ImagesFailed,
                status.ImagesReused,
                status.BatchesTotal,
                status.BatchesDone,
                status.ImagesPerSecond,
                status.Attempts,
                status.SubmittedUtc,
                status.FinishedUtc,
                status.Running,
                status.Silo,
                status.Input,
                status.Output,
                EtaSeconds = JobProgress.EtaSeconds(status),
                status.Summary,
                PeakRssMb = peakMb,
            }, Json));
        }
        else if (status.Phase == JobPhase.Failed)
        {
            console.MarkupLineInterpolated($"[red]job {status.JobId} failed:[/] {status.Error}");
        }
        else if (status.Phase == JobPhase.Cancelled)
        {
            console.MarkupLineInterpolated($"[yellow]job {status.JobId} cancelled[/] after {status.BatchesDone:N0} of {status.BatchesTotal:N0} batches; submitting the same spec resumes it");
        }
        else if (status.Summary is { } summary)
        {
            var table = new Table().Border(TableBorder.Rounded).HideHeaders().AddColumns("", "");
            table.AddRow("job", Markup.Escape(summary.JobId));
            table.AddRow("images", $"{summary.ImagesSucceeded:N0} of {summary.ImagesFound:N0} found: {summary.ImagesFeaturized:N0} featurized, {summary.ImagesReused:N0} reused");
            table.AddRow("feature store", Markup.Escape(summary.FeatureStore ?? "off"));
            table.AddRow("failures", summary.ImagesFailed == 0 ? "0" : $"{summary.ImagesFailed:N0} (see errors.parquet)");
            table.AddRow("labels", $"{summary.Labels:N0}");
            table.AddRow("pca", $"k = {summary.K}, variance kept {summary.VarianceKept:P2}");
            if (summary.StatisticsRowsReused > 0)
            {
                table.AddRow("statistics", $"of {summary.StatisticsRowsReused:N0} rows taken from the feature store");
            }

            table.AddRow("speed", $"{summary.ImagesPerSecond:F1} images/s over {summary.TotalSeconds:F1} s (featurizing {summary.FeaturizeImagesPerSecond:F1} images/s)");
            if (summary.Attempts > 1)
            {
                table.AddRow("attempts", $"{summary.Attempts} ({summary.BatchesResumed:N0} batches resumed from storage)");
            }
            table.AddRow("output", Markup.Escape(summary.Output));
            console.Write(table);
        }
        else
        {
            console.WriteLine($"{status.JobId} {JobProgress.Text(status)}");
        }

        return status.Phase switch
        {
            JobPhase.Completed => ExitCodes.Success,
            JobPhase.Failed => ExitCodes.JobFailed,
            JobPhase.Cancelled => ExitCodes.JobFailed,
            _ => ExitCodes.Success,
        };
    }

    private void WriteProgress(JobStatus status) =>
        Console.Error.WriteLine(json ? JobProgress.Json(status) : JobProgress.Text(status));

    private static string Describe(JobStatus s) =>
        $"{s.JobId} {s.Phase}: {s.ImagesDone + s.ImagesFailed:N0}/{s.ImagesTotal:N0} images, {s.ImagesFailed:N0} failed, {s.ImagesPerSecond:F1} img/s"
            .Replace("[", "[[", StringComparison.Ordinal).Replace("]", "]]", StringComparison.Ordinal);
}
