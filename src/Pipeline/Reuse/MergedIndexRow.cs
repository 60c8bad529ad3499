using System.Text.Json.Serialization;
using Parquet.Serialization.Attributes;

namespace Fruits.Pipeline.Reuse;

/// <summary>
/// A merged index file's row: one row of one segment's index file (<see cref="FeatureStoreIndexRow"/>), with the
/// segment it belongs to.
/// </summary>
public sealed class MergedIndexRow
{
    [JsonPropertyName("segment"), ParquetRequired] public string Segment { get; set; } = "";
    [JsonPropertyName("row")] public int Row { get; set; }
    [JsonPropertyName("sha256"), ParquetRequired] public string Sha256 { get; set; } = "";
    [JsonPropertyName("image_version")] public string? ImageVersion { get; set; }
}
