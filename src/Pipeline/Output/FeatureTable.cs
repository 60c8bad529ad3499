namespace Fruits.Pipeline.Output;

/// <summary>
/// One part's rows held column-wise: the features are one row-major block, the shape ONNX Runtime
/// writes and the projector and statistics read, so no stage builds a float[] per row.
/// </summary>
public sealed class FeatureTable
{
    public FeatureTable(IReadOnlyList<string> paths, IReadOnlyList<string> labels, float[] features, int dimension)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(features);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        if (labels.Count != paths.Count || features.Length < (long)paths.Count * dimension)
        {
            throw new ArgumentException($"{paths.Count} paths, {labels.Count} labels and {features.Length} features do not make rows of {dimension}.");
        }

        Paths = paths;
        Labels = labels;
        Features = features;
        Dimension = dimension;
    }

    public IReadOnlyList<string> Paths { get; }

    public IReadOnlyList<string> Labels { get; }

    /// <summary>Count x Dimension floats, row-major (the array may be longer).</summary>
    public float[] Features { get; }

    public int Dimension { get; }

    public int Count => Paths.Count;

    public ReadOnlySpan<float> FeatureBlock => Features.AsSpan(0, Count * Dimension);

    public ReadOnlySpan<float> Row(int index) => Features.AsSpan(index * Dimension, Dimension);
}
