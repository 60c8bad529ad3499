namespace Fruits.Grains;

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
    public bool IsFinished => Phase is JobPhase.Completed or JobPhase.Failed;
}
