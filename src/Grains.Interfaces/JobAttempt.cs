namespace Fruits.Grains.Interfaces;

/// <summary>What one start of a job did: a job resumed after losing its silo or its cluster has several.</summary>
[GenerateSerializer, Alias("Fruits.JobAttempt")]
public sealed record JobAttempt
{
    [Id(0)] public required int Attempt { get; init; }

    [Id(1)] public required DateTime StartedUtc { get; init; }

    /// <summary>Images this attempt read and featurized (succeeded or failed); batches resumed from storage are not counted.</summary>
    [Id(2)] public int ImagesFeaturized { get; init; }

    [Id(3)] public int BatchesFeaturized { get; init; }

    /// <summary>Seconds this attempt spent in its featurize phase.</summary>
    [Id(4)] public double FeaturizeSeconds { get; init; }

    /// <summary>Batches found already stored when this attempt started.</summary>
    [Id(5)] public int BatchesResumed { get; init; }

    /// <summary>Seconds the job spent storing its record during this attempt: what durability costs the job.</summary>
    [Id(6)] public double RecordWriteSeconds { get; init; }

    /// <summary>Why this attempt ended before the job did, when a silo it called was lost: the next attempt resumes it.</summary>
    [Id(7)] public string? Interruption { get; init; }

    public double ImagesPerSecond => FeaturizeSeconds > 0 ? ImagesFeaturized / FeaturizeSeconds : 0;
}
