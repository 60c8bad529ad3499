namespace Fruits.Pipeline.Statistics;

/// <summary>
/// Sufficient statistics of a set of feature vectors: count, mean and co-moment matrix
/// M2 = sum (x - mean)(x - mean)^T, stored as the packed upper triangle (row-major, i &lt;= j), all double.
/// </summary>
[GenerateSerializer, Immutable]
public sealed class MomentStatistics
{
    [Id(0)] public required int Dimension { get; init; }
    [Id(1)] public required long Count { get; init; }
    [Id(2)] public required double[] Mean { get; init; }
    [Id(3)] public required double[] CoMoment { get; init; }

    public static MomentStatistics Empty(int dimension) => throw new NotImplementedException();

    /// <summary>Statistics of <paramref name="count"/> rows of <paramref name="dimension"/> floats (row-major).</summary>
    public static MomentStatistics FromRows(ReadOnlySpan<float> rows, int count, int dimension) => throw new NotImplementedException();

    /// <summary>Chan et al. parallel merge; order-independent up to rounding.</summary>
    public MomentStatistics Merge(MomentStatistics other) => throw new NotImplementedException();
}
