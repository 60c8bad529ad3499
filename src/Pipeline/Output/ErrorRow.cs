using System.Text.Json.Serialization;
using Parquet.Serialization.Attributes;

namespace Fruits.Pipeline.Output;

/// <summary>An image that could not be featurized, and why.</summary>
public sealed class ErrorRow
{
    [JsonPropertyName("path"), ParquetRequired] public string Path { get; set; } = "";
    [JsonPropertyName("reason"), ParquetRequired] public string Reason { get; set; } = "";
}
