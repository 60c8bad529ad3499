namespace Fruits.Grains.Interfaces;

/// <summary>One image on the first two principal components, sampled by a projector for the job's scatter plot.</summary>
[GenerateSerializer, Immutable, Alias("Fruits.ScatterPoint")]
public readonly record struct ScatterPointData([property: Id(0)] float X, [property: Id(1)] float Y, [property: Id(2)] string Label);
