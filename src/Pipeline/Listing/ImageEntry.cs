namespace Fruits.Pipeline.Listing;

/// <summary>One input image: its store key, the path written to the output, and its label.</summary>
/// <param name="Version">
/// The object's version when it was listed (see <see cref="Storage.StoredObject.Version"/>), so a listing's
/// hash changes when an image is rewritten in place. Null in manifests written before versions were recorded.
/// </param>
public sealed record ImageEntry(string Key, string Path, string Label, string? Version = null);
