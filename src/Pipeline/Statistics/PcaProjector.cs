namespace Fruits.Pipeline.Statistics;

/// <summary>(x - mean) . components^T for a block of feature rows.</summary>
public sealed class PcaProjector(PcaModel model)
{
    public PcaModel Model { get; } = model;

    /// <summary>Projects <paramref name="count"/> rows (row-major, Dimension floats each) into count x K floats.</summary>
    public void Project(ReadOnlySpan<float> rows, int count, Span<float> output) => throw new NotImplementedException();
}
