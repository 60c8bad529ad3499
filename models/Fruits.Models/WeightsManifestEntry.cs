using System.Text.Json.Serialization;

namespace Fruits.Models;

/// <summary>One tensor of the shared weights folder, as MANIFEST.json lists it.</summary>
public sealed record WeightsManifestEntry(
    [property: JsonPropertyName("slim_key")] string SlimKey,
    [property: JsonPropertyName("file")] string File,
    [property: JsonPropertyName("shape")] int[] Shape,
    [property: JsonPropertyName("present")] bool Present,
    [property: JsonPropertyName("sha256")] string Sha256);
