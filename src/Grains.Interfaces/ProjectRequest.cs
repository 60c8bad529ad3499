namespace Fruits.Grains.Interfaces;

/// <summary>Phase 2 for one batch: read its features part, project it, write the final part.</summary>
[GenerateSerializer, Immutable, Alias("Fruits.ProjectRequest")]
public sealed record ProjectRequest(
    [property: Id(0)] string JobId,
    [property: Id(1)] int BatchIndex,
    [property: Id(2)] StorageLocationData Output);
