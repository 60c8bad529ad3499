namespace Fruits.Pipeline.Plots;

/// <summary>One image on the first two principal components.</summary>
public readonly record struct ScatterPoint(float X, float Y, string Label);
