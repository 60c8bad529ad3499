using Fruits.Pipeline.Statistics;

namespace Fruits.UnitTests.Statistics;

/// <summary>Deterministic feature-like data and naive double references for the statistics tests.</summary>
internal static class StatisticsTestData
{
    /// <summary>Non-negative, skewed values like ReLU6-pooled MobileNetV2 features.</summary>
    public static float[] NonNegativeRows(int seed, int count, int dimension)
    {
        var rng = new Random(seed);
        var rows = new float[count * dimension];
        for (var i = 0; i < rows.Length; i++)
        {
            rows[i] = (float)(rng.NextDouble() * rng.NextDouble() * 3.0);
        }

        return rows;
    }

    /// <summary>Non-negative rows = offset + low-rank signal with a geometrically decaying spectrum + small noise.</summary>
    public static float[] LowRankRows(int seed, int count, int dimension, int rank, double decay, double noise = 0.01)
    {
        var rng = new Random(seed);
        var basis = new double[rank * dimension];
        for (var i = 0; i < basis.Length; i++)
        {
            basis[i] = Gaussian(rng) / Math.Sqrt(dimension);
        }

        var offset = new double[dimension];
        for (var j = 0; j < dimension; j++)
        {
            offset[j] = 2.0 + rng.NextDouble();
        }

        var rows = new float[count * dimension];
        var z = new double[rank];
        for (var r = 0; r < count; r++)
        {
            for (var c = 0; c < rank; c++)
            {
                z[c] = Gaussian(rng) * Math.Pow(decay, c) * 10.0;
            }

            for (var j = 0; j < dimension; j++)
            {
                var v = offset[j] + (noise * Gaussian(rng));
                for (var c = 0; c < rank; c++)
                {
                    v += z[c] * basis[(c * dimension) + j];
                }

                rows[(r * dimension) + j] = (float)Math.Max(0.0, v);
            }
        }

        return rows;
    }

    public static (double[] Mean, double[,] CoMoment) Naive(ReadOnlySpan<float> rows, int count, int dimension)
    {
        var mean = new double[dimension];
        for (var r = 0; r < count; r++)
        {
            for (var j = 0; j < dimension; j++)
            {
                mean[j] += rows[(r * dimension) + j];
            }
        }

        for (var j = 0; j < dimension; j++)
        {
            mean[j] /= count;
        }

        var m2 = new double[dimension, dimension];
        var centred = new double[dimension];
        for (var r = 0; r < count; r++)
        {
            for (var j = 0; j < dimension; j++)
            {
                centred[j] = rows[(r * dimension) + j] - mean[j];
            }

            for (var i = 0; i < dimension; i++)
            {
                for (var j = i; j < dimension; j++)
                {
                    m2[i, j] += centred[i] * centred[j];
                }
            }
        }

        return (mean, m2);
    }

    /// <summary>
    /// Entry-wise agreement within <paramref name="relative"/>, scaled per entry by sqrt(M2ii M2jj) because
    /// near-zero off-diagonal co-moments have no meaningful relative error of their own.
    /// </summary>
    public static void AssertClose(double[] expectedMean, Func<int, int, double> expectedCoMoment, MomentStatistics actual, double relative)
    {
        var d = actual.Dimension;
        Assert.Equal(expectedMean.Length, d);
        Assert.Equal(PackedTriangle.Length(d), actual.CoMoment.Length);
        for (var j = 0; j < d; j++)
        {
            var tolerance = relative * (Math.Abs(expectedMean[j]) + 1e-300);
            Assert.True(Math.Abs(actual.Mean[j] - expectedMean[j]) <= tolerance, $"mean[{j}]: {actual.Mean[j]} vs {expectedMean[j]}");
        }

        for (var i = 0; i < d; i++)
        {
            for (var j = i; j < d; j++)
            {
                var expected = expectedCoMoment(i, j);
                var scale = Math.Sqrt(expectedCoMoment(i, i) * expectedCoMoment(j, j));
                var got = actual.CoMoment[PackedTriangle.Index(d, i, j)];
                if (!(Math.Abs(got - expected) <= (relative * scale) + 1e-300))
                {
                    Assert.Fail($"M2[{i},{j}]: {got} vs {expected} (scale {scale})");
                }
            }
        }
    }

    public static void AssertClose(MomentStatistics expected, MomentStatistics actual, double relative)
    {
        Assert.Equal(expected.Dimension, actual.Dimension);
        Assert.Equal(expected.Count, actual.Count);
        AssertClose(expected.Mean, (i, j) => expected.CoMoment[PackedTriangle.Index(expected.Dimension, i, j)], actual, relative);
    }

    public static double[] Row(double[] matrix, int row, int width) => matrix.AsSpan(row * width, width).ToArray();

    public static double AbsCosine(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }

        return Math.Abs(dot) / Math.Sqrt(na * nb);
    }

    private static double Gaussian(Random rng)
    {
        var u1 = 1.0 - rng.NextDouble();
        var u2 = rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
