namespace Fruits.Grains.Interfaces;

/// <summary>Rebuild one finished batch's statistics from its stored features part and merge them.</summary>
[GenerateSerializer, Immutable, Alias("Fruits.RebuildStatisticsRequest")]
public sealed record RebuildStatisticsRequest(
    [property: Id(0)] string JobId,
    [property: Id(1)] int BatchIndex,
    [property: Id(2)] StorageLocationData Output);
