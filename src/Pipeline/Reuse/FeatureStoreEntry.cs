namespace Fruits.Pipeline.Reuse;

/// <summary>An image's features: row <see cref="Row"/> of segment <see cref="SegmentId"/>.</summary>
public readonly record struct FeatureStoreEntry(string SegmentId, int Row);
