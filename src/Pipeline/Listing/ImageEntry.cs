namespace Fruits.Pipeline.Listing;

/// <summary>One input image: its store key, the path written to the output, and its label.</summary>
/// <param name="Version">
/// The object's version when it was listed (see <see cref="Storage.StoredObject.Version"/>), so a listing's
/// hash changes when an image is rewritten in place. Null in manifests written before versions were recorded.
/// </param>
[GenerateSerializer, Immutable]
public sealed record ImageEntry([property: Id(0)] string Key, [property: Id(1)] string Path, [property: Id(2)] string Label, [property: Id(3)] string? Version = null);
