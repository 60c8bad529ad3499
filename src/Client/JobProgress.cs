using System.Globalization;
using System.Text.Json;
using Fruits.Grains;
using Fruits.Grains.Interfaces;

namespace Fruits.Client;

/// <summary>A job's progress as one line: plain text for people and logs, or a JSON object for programs.</summary>
public static class JobProgress
{
    /// <summary>Seconds until featurizing ends at the current rate; null outside that phase or before a rate is known.</summary>
    public static double? EtaSeconds(JobStatus status)
    {
        var remaining = status.ImagesTotal - status.ImagesDone - status.ImagesFailed;
        return status.Phase == JobPhase.Featurizing && status.ImagesPerSecond > 0 ? Math.Max(0, remaining) / status.ImagesPerSecond : null;
    }

    /// <summary>
    /// e.g. "featurize 1,234/23,619 images  115.3 img/s  ETA 3m12s  reused 1,000  failed 0" (reused, shown once some
    /// are: of the images done, those whose features came from the feature store); while listing, before the total is
    /// known, the images and batches listed so far.
    /// </summary>
    public static string Text(JobStatus status) => status.Phase is JobPhase.Listing or JobPhase.NotStarted
        ? string.Create(CultureInfo.InvariantCulture, $"{PhaseName(status.Phase)} {status.ImagesTotal:N0} images listed")
        : string.Create(CultureInfo.InvariantCulture,
            $"{PhaseName(status.Phase)} {status.ImagesDone + status.ImagesFailed:N0}/{status.ImagesTotal:N0} images  {status.ImagesPerSecond:F1} img/s  ETA {Duration(EtaSeconds(status))}{(status.ImagesReused > 0 ? $"  reused {status.ImagesReused:N0}" : "")}  failed {status.ImagesFailed:N0}{(status.Attempts > 1 ? $"  attempt {status.Attempts}" : "")}");

    public static string Json(JobStatus status) => JsonSerializer.Serialize(new
    {
        @event = "progress",
        job_id = status.JobId,
        phase = status.Phase.ToString(),
        images_total = status.ImagesTotal,
        images_done = status.ImagesDone,
        images_failed = status.ImagesFailed,
        images_reused = status.ImagesReused,
        batches_total = status.BatchesTotal,
        batches_done = status.BatchesDone,
        images_per_second = Math.Round(status.ImagesPerSecond, 2),
        attempts = status.Attempts,
        eta_seconds = EtaSeconds(status) is { } eta ? Math.Round(eta, 1) : (double?)null,
    });

    public static string Duration(double? seconds)
    {
        if (seconds is not { } value)
        {
            return "-";
        }

        var time = TimeSpan.FromSeconds(Math.Ceiling(value));
        return time.TotalHours >= 1 ? $"{(int)time.TotalHours}h{time.Minutes:00}m"
            : time.TotalMinutes >= 1 ? $"{time.Minutes}m{time.Seconds:00}s"
            : $"{time.Seconds}s";
    }

    private static string PhaseName(JobPhase phase) => phase switch
    {
        JobPhase.NotStarted => "starting",
        JobPhase.Listing => "listing",
        JobPhase.Featurizing => "featurize",
        JobPhase.FittingPca => "pca-fit",
        JobPhase.Projecting => "projection",
        JobPhase.Writing => "write",
        JobPhase.Completed => "completed",
        JobPhase.Cancelled => "cancelled",
        _ => "failed",
    };
}
