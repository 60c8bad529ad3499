using System.Text.Json.Serialization;
using Parquet.Serialization.Attributes;

namespace Fruits.Pipeline.Reuse;

/// <summary>
/// A row of a features part that points into the feature store: the image, and the segment row that holds its
/// features, with the content hash that row must hold for them to be trusted. A row whose image was featurized by
/// the batch itself has no segment (an empty one, row -1) and holds its features instead.
/// </summary>
public sealed class FeatureReferenceRow
{
    [JsonPropertyName("path"), ParquetRequired] public string Path { get; set; } = "";
    [JsonPropertyName("label"), ParquetRequired] public string Label { get; set; } = "";
    [JsonPropertyName("sha256"), ParquetRequired] public string Sha256 { get; set; } = "";
    [JsonPropertyName("segment"), ParquetRequired] public string Segment { get; set; } = "";
    [JsonPropertyName("row")] public int Row { get; set; }
    [JsonPropertyName("features"), ParquetListElementRequired] public float[]? Features { get; set; }
}
