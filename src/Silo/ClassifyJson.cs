using System.Text.Json;
using System.Text.Json.Serialization;
using Fruits.Grains.Interfaces;

namespace Fruits.Silo;

/// <summary>The classifier's answer as JSON, the same for the HTTP endpoint and `fruits classify --json`.</summary>
public static class ClassifyJson
{
    public static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public static object Answer(string output, ClassifyResult result, string? photo = null) => new
    {
        photo,
        output,
        labels = result.Labels.Select(l => new { label = l.Label, score = Math.Round(l.Score, 6), votes = l.Votes }),
        nearest = result.Nearest.Select(n => new { path = n.Path, label = n.Label, distance = Math.Round(n.Distance, 6) }),
        dimensions = result.Dimensions,
        index_rows = result.IndexRows,
        seconds = Math.Round(result.Seconds, 6),
    };

    public static object Error(string reason) => new { error = reason };
}
