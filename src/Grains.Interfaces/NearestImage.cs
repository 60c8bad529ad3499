namespace Fruits.Grains.Interfaces;

/// <summary>An indexed image near the query: the job's path and label for it, and the Euclidean distance in PCA space.</summary>
[GenerateSerializer, Immutable, Alias("Fruits.NearestImage")]
public sealed record NearestImage(
    [property: Id(0)] string Path,
    [property: Id(1)] string Label,
    [property: Id(2)] float Distance);
