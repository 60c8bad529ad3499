namespace Fruits.Grains.Interfaces;

/// <summary>A job as the registry knows it: enough to list jobs without waking each one.</summary>
[GenerateSerializer, Immutable, Alias("Fruits.JobListing")]
public sealed record JobListing(
    [property: Id(0)] string JobId,
    [property: Id(1)] string Input,
    [property: Id(2)] string Output,
    [property: Id(3)] JobPhase Phase,
    [property: Id(4)] DateTime SubmittedUtc,
    [property: Id(5)] DateTime? FinishedUtc);
