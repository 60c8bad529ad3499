namespace Fruits.Grains.Interfaces;

/// <summary>
/// A silo's statistics of one job, pre-merged over the batches it featurized, with the ids of those batches:
/// one message per silo at fit time instead of one 6.5 MB partial per batch.
/// </summary>
[GenerateSerializer, Immutable, Alias("Fruits.SiloStatistics")]
public sealed record SiloStatistics(
    [property: Id(0)] IReadOnlyList<int> Batches,
    [property: Id(1)] MomentStatisticsData? Statistics);
