using Fruits.Grains.Interfaces;

namespace Fruits.Grains;

/// <summary>A job's durable record: what was asked, where it stands, and what each attempt did.</summary>
[GenerateSerializer, Alias("Fruits.JobState")]
public sealed class JobState
{
    [Id(0)] public JobSpec? Spec { get; set; }

    [Id(1)] public JobPhase Phase { get; set; } = JobPhase.NotStarted;

    [Id(2)] public DateTime SubmittedUtc { get; set; }

    [Id(3)] public DateTime? FinishedUtc { get; set; }

    [Id(4)] public string? Error { get; set; }

    [Id(5)] public JobSummary? Summary { get; set; }

    [Id(6)] public List<JobAttempt> Attempts { get; set; } = [];

    /// <summary>Batches featurized by each silo, over all attempts.</summary>
    [Id(7)] public Dictionary<string, int> BatchesPerSilo { get; set; } = new(StringComparer.Ordinal);

    [Id(8)] public int ImagesTotal { get; set; }

    [Id(9)] public int BatchesTotal { get; set; }

    [Id(10)] public int ImagesDone { get; set; }

    [Id(11)] public int ImagesFailed { get; set; }

    [Id(12)] public int BatchesDone { get; set; }

    /// <summary>The silo whose activation drives the job's current attempt.</summary>
    [Id(13)] public string? Driver { get; set; }

    /// <summary>Of <see cref="ImagesDone"/>, the images whose features came from the feature store.</summary>
    [Id(14)] public int ImagesReused { get; set; }

    /// <summary>The feature store this job uses (resolved once, so every attempt uses the same); null when off.</summary>
    [Id(15)] public string? FeatureStore { get; set; }

    public bool IsFinished => Phase is JobPhase.Completed or JobPhase.Failed or JobPhase.Cancelled;
}
