namespace Fruits.Grains.Interfaces;

/// <summary>A snapshot of a job for progress displays.</summary>
[GenerateSerializer, Immutable, Alias("Fruits.JobStatus")]
public sealed record JobStatus(
    [property: Id(0)] string JobId,
    [property: Id(1)] JobPhase Phase,
    [property: Id(2)] int ImagesTotal,
    [property: Id(3)] int ImagesDone,
    [property: Id(4)] int ImagesFailed,
    [property: Id(5)] int BatchesTotal,
    [property: Id(6)] int BatchesDone,
    [property: Id(7)] double ImagesPerSecond,
    [property: Id(8)] string? Error,
    [property: Id(9)] JobSummary? Summary)
{
    /// <summary>How many times the cluster has started this job: 1, plus one per resumption after a lost silo or cluster.</summary>
    [Id(10)] public int Attempts { get; init; }

    [Id(11)] public DateTime? SubmittedUtc { get; init; }

    [Id(12)] public DateTime? FinishedUtc { get; init; }

    /// <summary>The job's input location, as submitted.</summary>
    [Id(13)] public string? Input { get; init; }

    [Id(14)] public string? Output { get; init; }

    /// <summary>
    /// True while some silo is driving the job. An unfinished job that is not running is waiting for the
    /// cluster's resume reminder (or, on an embedded silo that was stopped, for the same spec to be run again).
    /// </summary>
    [Id(15)] public bool Running { get; init; }

    /// <summary>The silo whose activation of the job answered (and drives it, when <see cref="Running"/>).</summary>
    [Id(16)] public string? Silo { get; init; }

    /// <summary>Of <see cref="ImagesDone"/>, the images whose features came from the feature store, not the model.</summary>
    [Id(17)] public int ImagesReused { get; init; }

    public bool IsFinished => Phase is JobPhase.Completed or JobPhase.Failed or JobPhase.Cancelled;
}
