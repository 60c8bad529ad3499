namespace Fruits.Pipeline.Statistics;

/// <summary>
/// Mutable running merge of <see cref="MomentStatistics"/> for a long-lived owner such as the aggregator grain:
/// each <see cref="Add"/> updates its own arrays in place instead of allocating a fresh 6.5 MB triangle.
/// Not thread-safe.
/// </summary>
public sealed class MomentAccumulator
{
    private readonly double[] _mean;
    private readonly double[] _coMoment;
    private readonly double[] _delta;

    public MomentAccumulator(int dimension)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        Dimension = dimension;
        _mean = new double[dimension];
        _coMoment = new double[PackedTriangle.Length(dimension)];
        _delta = new double[dimension];
    }

    public int Dimension { get; }

    public long Count { get; private set; }

    public void Add(MomentStatistics statistics)
    {
        ArgumentNullException.ThrowIfNull(statistics);
        if (statistics.Dimension != Dimension || statistics.Mean.Length != Dimension || statistics.CoMoment.Length != _coMoment.Length)
        {
            throw new ArgumentException($"Cannot add statistics of dimension {statistics.Dimension} to an accumulator of dimension {Dimension}.", nameof(statistics));
        }

        if (statistics.Count == 0)
        {
            return;
        }

        if (Count == 0)
        {
            statistics.Mean.CopyTo(_mean, 0);
            statistics.CoMoment.CopyTo(_coMoment, 0);
        }
        else
        {
            MomentMath.Merge(Dimension, Count, _mean, _coMoment, statistics.Count, statistics.Mean, statistics.CoMoment, _mean, _coMoment, _delta);
        }

        Count += statistics.Count;
    }

    /// <summary>Snapshot; later <see cref="Add"/> calls do not affect it.</summary>
    public MomentStatistics ToStatistics() => new()
    {
        Dimension = Dimension,
        Count = Count,
        Mean = (double[])_mean.Clone(),
        CoMoment = (double[])_coMoment.Clone(),
    };
}
