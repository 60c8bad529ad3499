using System.Text.Json.Serialization;
using Parquet.Serialization.Attributes;

namespace Fruits.Pipeline.Reuse;

/// <summary>
/// An index file's row: the content hash in row <see cref="Row"/> of the index file's segment, and the
/// <see cref="ImageVersionKey"/> of the image it was featurized from, when its listing gave a version. Index files
/// written before the version column was added still read: their entries are found by content only.
/// </summary>
public sealed class FeatureStoreIndexRow
{
    [JsonPropertyName("sha256"), ParquetRequired] public string Sha256 { get; set; } = "";
    [JsonPropertyName("row")] public int Row { get; set; }
    [JsonPropertyName("image_version")] public string? ImageVersion { get; set; }
}
