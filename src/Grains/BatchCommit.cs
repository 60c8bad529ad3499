namespace Fruits.Grains;

/// <summary>What a stored batch holds: the images its manifest listed, and how many were featurized and failed.</summary>
public sealed record BatchCommit(int Images, int Succeeded, int Failed);
