using System.Text.Json.Serialization;
using Parquet.Serialization.Attributes;

namespace Fruits.Pipeline.Output;

/// <summary>A final row, in the columns every output part has: (path, label, features, pca_features).</summary>
public sealed class OutputRow
{
    [JsonPropertyName("path"), ParquetRequired] public string Path { get; set; } = "";
    [JsonPropertyName("label"), ParquetRequired] public string Label { get; set; } = "";
    [JsonPropertyName("features"), ParquetRequired, ParquetListElementRequired] public float[] Features { get; set; } = [];
    [JsonPropertyName("pca_features"), ParquetRequired, ParquetListElementRequired] public float[] PcaFeatures { get; set; } = [];
}
