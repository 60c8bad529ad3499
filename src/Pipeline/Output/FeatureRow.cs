using System.Text.Json.Serialization;
using Parquet.Serialization.Attributes;

namespace Fruits.Pipeline.Output;

/// <summary>A featurized image as stored between the two phases.</summary>
public sealed class FeatureRow
{
    [JsonPropertyName("path"), ParquetRequired] public string Path { get; set; } = "";
    [JsonPropertyName("label"), ParquetRequired] public string Label { get; set; } = "";
    [JsonPropertyName("features"), ParquetRequired, ParquetListElementRequired] public float[] Features { get; set; } = [];
}
