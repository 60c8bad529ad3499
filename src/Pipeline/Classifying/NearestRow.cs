namespace Fruits.Pipeline.Classifying;

/// <summary>One indexed image near a query: its path and label as the job recorded them, and its Euclidean distance.</summary>
public sealed record NearestRow(string Path, string Label, float Distance);
