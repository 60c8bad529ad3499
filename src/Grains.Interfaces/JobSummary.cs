namespace Fruits.Grains;

/// <summary>The outcome of a finished job; also written as summary.json.</summary>
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
    [Id(12)] public required IReadOnlyDictionary<string, double> PhaseSeconds { get; init; }
    [Id(13)] public required double TotalSeconds { get; init; }
    [Id(14)] public required double ImagesPerSecond { get; init; }
    [Id(15)] public required string ModelSha256 { get; init; }
    [Id(16)] public required IReadOnlyDictionary<string, int> BatchesPerSilo { get; init; }

    /// <summary>Batches found already stored by an earlier, interrupted run of this job and not featurized again.</summary>
    [Id(17)] public int BatchesResumed { get; init; }
}
