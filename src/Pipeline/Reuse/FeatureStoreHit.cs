namespace Fruits.Pipeline.Reuse;

/// <summary>An image found in the index: its hash, where its features are, and the row of the batch they fill.</summary>
public readonly record struct FeatureStoreHit(ContentHash Hash, FeatureStoreEntry Entry, int DestinationRow);
