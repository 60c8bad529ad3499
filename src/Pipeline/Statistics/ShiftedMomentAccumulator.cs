namespace Fruits.Pipeline.Statistics;

/// <summary>
/// Running statistics of rows added batch after batch straight into one co-moment triangle. Each row is centred on a
/// fixed shift, the mean of the first batch added, instead of on its own batch's mean, so a batch costs its rank-k
/// update alone: no batch triangle of 6.5 MB to clear, fill and merge. <see cref="ToStatistics"/> takes the shift back
/// out (M2 = S - n o o^T, with o the mean's offset from the shift). The shift comes from the data, so o is of the
/// order of the spread between batches, never of the mean itself, and the subtraction loses no precision that
/// matters in double. Not thread-safe.
/// </summary>
public sealed class ShiftedMomentAccumulator
{
    private readonly double[] _shift;
    private readonly double[] _sum;
    private readonly double[] _coMoment;

    public ShiftedMomentAccumulator(int dimension)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        Dimension = dimension;
        _shift = new double[dimension];
        _sum = new double[dimension];
        _coMoment = new double[PackedTriangle.Length(dimension)];
    }

    public int Dimension { get; }

    public long Count { get; private set; }

    /// <summary>Adds <paramref name="count"/> rows of <see cref="Dimension"/> floats (row-major).</summary>
    public void Add(ReadOnlySpan<float> rows, int count)
    {
        MomentStatistics.CheckRows(rows, count, Dimension);
        if (count == 0)
        {
            return;
        }

        var d = Dimension;
        if (Count == 0)
        {
            MomentStatistics.AddMean(rows, count, d, _shift);
        }

        for (var r = 0; r < count; r++)
        {
            var row = rows.Slice(r * d, d);
            for (var j = 0; j < d; j++)
            {
                _sum[j] += row[j] - _shift[j];
            }
        }

        PackedSyrk.AddCentred(rows, count, d, _shift, _coMoment);
        Count += count;
    }

    /// <summary>Count, mean and co-moment of every row added; a snapshot that later adds do not change.</summary>
    public MomentStatistics ToStatistics()
    {
        var d = Dimension;
        var mean = new double[d];
        var coMoment = (double[])_coMoment.Clone();
        if (Count > 0)
        {
            var offset = new double[d];
            for (var j = 0; j < d; j++)
            {
                offset[j] = _sum[j] / Count;
                mean[j] = _shift[j] + offset[j];
            }

            for (var i = 0; i < d; i++)
            {
                var start = PackedTriangle.RowStart(d, i);
                VectorMath.Axpy(-Count * offset[i], offset.AsSpan(i), coMoment.AsSpan(start, d - i));
            }
        }

        return new MomentStatistics { Dimension = d, Count = Count, Mean = mean, CoMoment = coMoment };
    }
}
