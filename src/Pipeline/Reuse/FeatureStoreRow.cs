using System.Text.Json.Serialization;
using Parquet.Serialization.Attributes;

namespace Fruits.Pipeline.Reuse;

/// <summary>A segment's row: an image's content hash and its features.</summary>
public sealed class FeatureStoreRow
{
    [JsonPropertyName("sha256"), ParquetRequired] public string Sha256 { get; set; } = "";
    [JsonPropertyName("features"), ParquetRequired, ParquetListElementRequired] public float[] Features { get; set; } = [];
}
