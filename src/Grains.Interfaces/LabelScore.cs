namespace Fruits.Grains.Interfaces;

/// <summary>A label's share of the distance-weighted votes of the nearest images, and how many of them carry it.</summary>
[GenerateSerializer, Immutable, Alias("Fruits.LabelScore")]
public sealed record LabelScore(
    [property: Id(0)] string Label,
    [property: Id(1)] double Score,
    [property: Id(2)] int Votes);
