namespace Fruits.Grains.Interfaces;

[GenerateSerializer, Immutable, Alias("Fruits.MergedBatches")]
public sealed record MergedBatches(
    [property: Id(0)] int[] Batches,
    [property: Id(1)] long Images);
