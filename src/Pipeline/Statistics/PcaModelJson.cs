using System.Text.Json;

namespace Fruits.Pipeline.Statistics;

/// <summary>
/// pca_model.json: dimension, count, k, threshold, fixed_k, mean, components (k arrays of dimension), eigenvalues,
/// explained_variance_ratio, cumulative_explained_variance (all dimension long) and variance_kept.
/// Doubles are written in shortest round-trip form, so <see cref="Deserialize"/> restores them bit for bit.
/// </summary>
public static class PcaModelJson
{
    public static byte[] Serialize(PcaModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = false }))
        {
            writer.WriteStartObject();
            writer.WriteNumber("dimension", model.Dimension);
            writer.WriteNumber("count", model.Count);
            writer.WriteNumber("k", model.K);
            writer.WriteNumber("threshold", model.Selection.Threshold);
            if (model.Selection.FixedK is { } fixedK)
            {
                writer.WriteNumber("fixed_k", fixedK);
            }
            else
            {
                writer.WriteNull("fixed_k");
            }

            writer.WriteNumber("variance_kept", model.VarianceKept);
            WriteArray(writer, "mean", model.Mean);
            writer.WriteStartArray("components");
            for (var c = 0; c < model.K; c++)
            {
                writer.WriteStartArray();
                foreach (var v in model.Components.AsSpan(c * model.Dimension, model.Dimension))
                {
                    writer.WriteNumberValue(v);
                }

                writer.WriteEndArray();
            }

            writer.WriteEndArray();
            WriteArray(writer, "eigenvalues", model.Eigenvalues);
            WriteArray(writer, "explained_variance_ratio", model.ExplainedVarianceRatio);
            WriteArray(writer, "cumulative_explained_variance", model.CumulativeExplainedVarianceRatio());
            writer.WriteEndObject();
        }

        return stream.ToArray();
    }

    public static PcaModel Deserialize(byte[] json)
    {
        ArgumentNullException.ThrowIfNull(json);
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        var dimension = root.GetProperty("dimension").GetInt32();
        var k = root.GetProperty("k").GetInt32();
        var fixedK = root.TryGetProperty("fixed_k", out var f) && f.ValueKind != JsonValueKind.Null ? f.GetInt32() : (int?)null;
        var threshold = root.TryGetProperty("threshold", out var t) && t.ValueKind != JsonValueKind.Null ? t.GetDouble() : 0.75;

        var componentsElement = root.GetProperty("components");
        if (componentsElement.GetArrayLength() != k)
        {
            throw new InvalidDataException($"pca_model.json: k = {k} but {componentsElement.GetArrayLength()} components.");
        }

        var components = new double[(long)k * dimension];
        var c = 0;
        foreach (var component in componentsElement.EnumerateArray())
        {
            ReadArray(component, components.AsSpan(c * dimension, dimension), $"components[{c}]");
            c++;
        }

        return new PcaModel
        {
            Dimension = dimension,
            Count = root.GetProperty("count").GetInt64(),
            K = k,
            Mean = ReadArray(root, "mean", dimension),
            Components = components,
            Eigenvalues = ReadArray(root, "eigenvalues", dimension),
            ExplainedVarianceRatio = ReadArray(root, "explained_variance_ratio", dimension),
            Selection = new PcaSelection(threshold, fixedK),
        };
    }

    private static void WriteArray(Utf8JsonWriter writer, string name, double[] values)
    {
        writer.WriteStartArray(name);
        foreach (var v in values)
        {
            writer.WriteNumberValue(v);
        }

        writer.WriteEndArray();
    }

    private static double[] ReadArray(JsonElement root, string name, int length)
    {
        var values = new double[length];
        ReadArray(root.GetProperty(name), values, name);
        return values;
    }

    private static void ReadArray(JsonElement element, Span<double> destination, string name)
    {
        if (element.GetArrayLength() != destination.Length)
        {
            throw new InvalidDataException($"pca_model.json: {name} has {element.GetArrayLength()} values, expected {destination.Length}.");
        }

        var i = 0;
        foreach (var value in element.EnumerateArray())
        {
            destination[i++] = value.GetDouble();
        }
    }
}
