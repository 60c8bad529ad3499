namespace Fruits.Pipeline.Plots;

/// <summary>One image on the first two principal components.</summary>
[GenerateSerializer, Immutable]
public readonly record struct ScatterPoint([property: Id(0)] float X, [property: Id(1)] float Y, [property: Id(2)] string Label);
