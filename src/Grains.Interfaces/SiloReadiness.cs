namespace Fruits.Grains;

/// <summary>Whether a silo takes batches now, and how many at once; a silo that cannot featurize says why.</summary>
[GenerateSerializer, Immutable, Alias("Fruits.SiloReadiness")]
public sealed record SiloReadiness(
    [property: Id(0)] int Capacity,
    [property: Id(1)] bool Ready,
    [property: Id(2)] string? Reason,
    [property: Id(3)] string? ModelSha256);
