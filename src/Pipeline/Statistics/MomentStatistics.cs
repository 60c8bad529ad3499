using System.Runtime.CompilerServices;

namespace Fruits.Pipeline.Statistics;

/// <summary>
/// Sufficient statistics of a set of feature vectors: count, mean and co-moment matrix
/// M2 = sum (x - mean)(x - mean)^T, stored as the packed upper triangle (row-major, i &lt;= j), all double.
/// </summary>
public sealed class MomentStatistics
{
    public required int Dimension { get; init; }
    public required long Count { get; init; }
    public required double[] Mean { get; init; }
    public required double[] CoMoment { get; init; }

    public static MomentStatistics Empty(int dimension)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        return new MomentStatistics
        {
            Dimension = dimension,
            Count = 0,
            Mean = new double[dimension],
            CoMoment = new double[PackedTriangle.Length(dimension)],
        };
    }

    /// <summary>Statistics of <paramref name="count"/> rows of <paramref name="dimension"/> floats (row-major).</summary>
    public static MomentStatistics FromRows(ReadOnlySpan<float> rows, int count, int dimension)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        CheckRows(rows, count, dimension);
        if (count == 0)
        {
            return Empty(dimension);
        }

        var mean = new double[dimension];
        var coMoment = new double[PackedTriangle.Length(dimension)];
        CentredMoments(rows, count, dimension, mean, coMoment);
        return new MomentStatistics { Dimension = dimension, Count = count, Mean = mean, CoMoment = coMoment };
    }

    /// <summary>Throws unless <paramref name="rows"/> holds <paramref name="count"/> &gt;= 0 rows of <paramref name="dimension"/>.</summary>
    internal static void CheckRows(ReadOnlySpan<float> rows, int count, int dimension)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (rows.Length < (long)count * dimension)
        {
            throw new ArgumentException($"Expected at least {(long)count * dimension} floats for {count} rows of {dimension}, got {rows.Length}.", nameof(rows));
        }
    }

    /// <summary>Fills zeroed <paramref name="mean"/> with the mean of <paramref name="count"/> &gt; 0 rows.</summary>
    internal static void AddMean(ReadOnlySpan<float> rows, int count, int dimension, Span<double> mean)
    {
        for (var r = 0; r < count; r++)
        {
            var row = rows.Slice(r * dimension, dimension);
            for (var j = 0; j < dimension; j++)
            {
                mean[j] += row[j];
            }
        }

        for (var j = 0; j < dimension; j++)
        {
            mean[j] /= count;
        }
    }

    /// <summary>Fills zeroed <paramref name="mean"/> and <paramref name="coMoment"/> from <paramref name="count"/> &gt; 0 rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void CentredMoments(ReadOnlySpan<float> rows, int count, int dimension, Span<double> mean, Span<double> coMoment)
    {
        // Two-pass (mean first, then centred products) keeps M2 accurate for non-negative features whose
        // mean dwarfs their spread, where the one-pass sum x x^T - n mean mean^T would cancel badly.
        AddMean(rows, count, dimension, mean);
        PackedSyrk.AddCentred(rows, count, dimension, mean, coMoment);
    }

    /// <summary>Chan et al. parallel merge; order-independent up to rounding.</summary>
    public MomentStatistics Merge(MomentStatistics other)
    {
        ArgumentNullException.ThrowIfNull(other);
        CheckCompatible(other);
        if (other.Count == 0)
        {
            return this;
        }

        if (Count == 0)
        {
            return other;
        }

        var mean = new double[Dimension];
        var coMoment = new double[CoMoment.Length];
        MomentMath.Merge(Dimension, Count, Mean, CoMoment, other.Count, other.Mean, other.CoMoment, mean, coMoment, new double[Dimension]);
        return new MomentStatistics { Dimension = Dimension, Count = Count + other.Count, Mean = mean, CoMoment = coMoment };
    }

    /// <summary>Merges a non-empty sequence of partials through one in-place accumulator (one copy, no per-merge allocation).</summary>
    public static MomentStatistics MergeAll(IEnumerable<MomentStatistics> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        MomentAccumulator? accumulator = null;
        foreach (var part in parts)
        {
            accumulator ??= new MomentAccumulator(part.Dimension);
            accumulator.Add(part);
        }

        return accumulator?.ToStatistics() ?? throw new ArgumentException("At least one partial is needed to know the dimension.", nameof(parts));
    }

    /// <summary>Covariance entry (i, j) with divisor n - 1.</summary>
    public double Covariance(int i, int j)
    {
        if (Count < 2)
        {
            throw new InvalidOperationException($"Covariance needs at least 2 rows, have {Count}.");
        }

        return CoMoment[PackedTriangle.Index(Dimension, i, j)] / (Count - 1);
    }

    internal void CheckCompatible(MomentStatistics other)
    {
        if (other.Dimension != Dimension)
        {
            throw new ArgumentException($"Cannot merge statistics of dimension {other.Dimension} into dimension {Dimension}.", nameof(other));
        }

        if (other.Mean.Length != Dimension || other.CoMoment.Length != PackedTriangle.Length(Dimension))
        {
            throw new ArgumentException("Statistics arrays do not match their dimension.", nameof(other));
        }
    }
}
