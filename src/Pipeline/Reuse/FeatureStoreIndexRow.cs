using System.Text.Json.Serialization;
using Parquet.Serialization.Attributes;

namespace Fruits.Pipeline.Reuse;

/// <summary>An index file's row: the content hash in row <see cref="Row"/> of the index file's segment.</summary>
public sealed class FeatureStoreIndexRow
{
    [JsonPropertyName("sha256"), ParquetRequired] public string Sha256 { get; set; } = "";
    [JsonPropertyName("row")] public int Row { get; set; }
}
