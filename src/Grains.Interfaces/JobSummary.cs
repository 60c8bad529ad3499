namespace Fruits.Grains.Interfaces;

/// <summary>The outcome of a finished job; also written as summary.json. Every figure covers all of the job's attempts.</summary>
[GenerateSerializer, Immutable, Alias("Fruits.JobSummary")]
public sealed record JobSummary
{
    [Id(0)] public required string JobId { get; init; }
    [Id(1)] public required string Input { get; init; }
    [Id(2)] public required string Output { get; init; }
    [Id(3)] public required int ImagesFound { get; init; }
    [Id(4)] public required int ImagesSucceeded { get; init; }
    [Id(5)] public required int ImagesFailed { get; init; }
    [Id(6)] public required int Labels { get; init; }
    [Id(7)] public required int Batches { get; init; }
    [Id(8)] public required int BatchSize { get; init; }
    [Id(9)] public required int K { get; init; }
    [Id(10)] public required double VarianceKept { get; init; }
    [Id(11)] public double? Threshold { get; init; }

    /// <summary>Seconds per phase of the last attempt, which ran every phase after featurizing.</summary>
    [Id(12)] public required IReadOnlyDictionary<string, double> PhaseSeconds { get; init; }

    /// <summary>Wall seconds from the first submit to _SUCCESS, time between attempts included.</summary>
    [Id(13)] public required double TotalSeconds { get; init; }

    /// <summary>Images found over <see cref="TotalSeconds"/>.</summary>
    [Id(14)] public required double ImagesPerSecond { get; init; }
    [Id(15)] public required string ModelSha256 { get; init; }

    /// <summary>Batches featurized by each silo, over all attempts.</summary>
    [Id(16)] public required IReadOnlyDictionary<string, int> BatchesPerSilo { get; init; }

    /// <summary>Batches the last attempt found already stored by an earlier attempt and did not featurize again.</summary>
    [Id(17)] public int BatchesResumed { get; init; }

    [Id(18)] public int Attempts { get; init; } = 1;

    /// <summary>Images featurized over the seconds spent featurizing them, summed over attempts.</summary>
    [Id(19)] public double FeaturizeImagesPerSecond { get; init; }

    [Id(20)] public IReadOnlyList<JobAttempt> AttemptHistory { get; init; } = [];

    [Id(21)] public DateTime? SubmittedUtc { get; init; }

    [Id(22)] public DateTime? FinishedUtc { get; init; }

    /// <summary>Images run through the model; with <see cref="ImagesReused"/>, every succeeded image.</summary>
    [Id(23)] public int ImagesFeaturized { get; init; }

    /// <summary>Images whose features were found in the feature store by content.</summary>
    [Id(24)] public int ImagesReused { get; init; }

    /// <summary>The feature store the job used; null when it ran without one.</summary>
    [Id(25)] public string? FeatureStore { get; init; }

    /// <summary>Set on an output rewritten by <c>fruits refit</c>: the output whose stored features it refit.</summary>
    [Id(26)] public string? RefitOf { get; init; }

    /// <summary>
    /// Rows whose statistics were taken from the feature store, an earlier job having computed them, instead of being
    /// computed again: every row when the job's rows are exactly that job's (then its fit is taken too, for the same
    /// selection), some when they include that job's rows; 0 when none were.
    /// </summary>
    [Id(27)] public long StatisticsRowsReused { get; init; }
}
