using Fruits.Pipeline.Statistics;
using MathNet.Numerics.LinearAlgebra;

namespace Fruits.UnitTests.Statistics;

public sealed class PcaFitterTests
{
    [Theory]
    [InlineData(300, 64, 20, 0.75)]
    [InlineData(200, 770, 40, 0.85)] // 1280 itself is covered end to end; this keeps the test a few seconds on 2 cores
    public void Matches_independent_svd_of_centred_data(int count, int dimension, int rank, double decay)
    {
        var rows = StatisticsTestData.LowRankRows(count + dimension, count, dimension, rank, decay);
        var model = new PcaFitter().Fit(MomentStatistics.FromRows(rows, count, dimension), new PcaSelection());

        var x = Matrix<double>.Build.Dense(count, dimension, (r, j) => rows[(r * dimension) + j]);
        var mean = x.ColumnSums() / count;
        var centred = x - Matrix<double>.Build.Dense(count, dimension, (_, j) => mean[j]);
        // The thin side is enough: right singular vectors of X are left singular vectors of X^T.
        var svd = centred.Transpose().Svd(computeVectors: true);
        var s2 = svd.S.PointwisePower(2);
        var ratios = s2 / s2.Sum();

        Assert.Equal(count, model.Count);
        for (var c = 0; c < dimension; c++)
        {
            var expected = c < ratios.Count ? ratios[c] : 0.0;
            Assert.True(Math.Abs(expected - model.ExplainedVarianceRatio[c]) <= 1e-8, $"ratio {c}: svd {expected} vs pca {model.ExplainedVarianceRatio[c]}");
            var eigen = c < s2.Count ? s2[c] / (count - 1) : 0.0;
            Assert.True(Math.Abs(eigen - model.Eigenvalues[c]) <= 1e-8 * model.Eigenvalues[0], $"eigenvalue {c}");
        }

        var cumulative = 0.0;
        var expectedK = 0;
        while (cumulative < 0.75)
        {
            cumulative += ratios[expectedK++];
        }

        Assert.Equal(expectedK, model.K);
        Assert.True(model.K is > 1 and < 20, $"test data should need a handful of components, got {model.K}");

        var compared = 0;
        for (var c = 0; c < Math.Min(model.K, s2.Count - 1); c++)
        {
            // Only well-separated eigenvalues define a unique direction.
            var gap = Math.Min(c == 0 ? double.MaxValue : s2[c - 1] - s2[c], s2[c] - s2[c + 1]) / s2[c];
            if (gap < 0.02)
            {
                continue;
            }

            var reference = svd.U.Column(c).ToArray();
            var cosine = StatisticsTestData.AbsCosine(reference, model.Components.AsSpan(c * dimension, dimension));
            Assert.True(cosine > 0.9999, $"component {c}: |cos| = {cosine}");
            compared++;
        }

        Assert.True(compared >= Math.Min(2, model.K), $"only {compared} components were well separated");
    }

    [Fact]
    public void Components_are_orthonormal_with_deterministic_sign()
    {
        const int count = 120, dimension = 24;
        var rows = StatisticsTestData.LowRankRows(17, count, dimension, 8, 0.6);
        var model = new PcaFitter().Fit(MomentStatistics.FromRows(rows, count, dimension), new PcaSelection(FixedK: dimension));
        Assert.Equal(dimension * dimension, model.Components.Length);
        for (var a = 0; a < dimension; a++)
        {
            var row = model.Components.AsSpan(a * dimension, dimension);
            var largest = 0;
            for (var j = 1; j < dimension; j++)
            {
                largest = Math.Abs(row[j]) > Math.Abs(row[largest]) ? j : largest;
            }

            Assert.True(row[largest] > 0, $"component {a} largest entry is negative");
            for (var b = a; b < dimension; b++)
            {
                var dot = 0.0;
                for (var j = 0; j < dimension; j++)
                {
                    dot += row[j] * model.Components[(b * dimension) + j];
                }

                Assert.True(Math.Abs(dot - (a == b ? 1.0 : 0.0)) < 1e-10, $"<c{a}, c{b}> = {dot}");
            }
        }

        for (var c = 1; c < dimension; c++)
        {
            Assert.True(model.Eigenvalues[c] <= model.Eigenvalues[c - 1]);
            Assert.True(model.Eigenvalues[c] >= 0);
        }

        Assert.Equal(1.0, model.ExplainedVarianceRatio.Sum(), 12);
        Assert.Equal(1.0, model.VarianceKept, 12);
    }

    [Theory]
    [InlineData(0.5, 1)]
    [InlineData(0.75, 2)] // 0.5 + 0.25 reaches it exactly
    [InlineData(0.7500001, 3)]
    [InlineData(0.74, 2)]
    [InlineData(0.875, 3)]
    [InlineData(1.0, 4)]
    public void Threshold_picks_the_smallest_k_reaching_it(double threshold, int expectedK)
    {
        var model = new PcaFitter().Fit(Diagonal(4.0, 2.0, 1.0, 1.0), new PcaSelection(threshold));
        Assert.Equal([0.5, 0.25, 0.125, 0.125], model.ExplainedVarianceRatio);
        Assert.Equal(expectedK, model.K);
        Assert.Equal(expectedK * 4, model.Components.Length);
        Assert.Equal([4.0, 2.0, 1.0, 1.0], model.Eigenvalues);
        // Axis-aligned covariance: the first components are the unit vectors, positive by the sign convention.
        Assert.Equal([1.0, 0.0, 0.0, 0.0], model.Components.AsSpan(0, 4).ToArray(), (a, b) => Math.Abs(a - b) <= 1e-15);
    }

    [Fact]
    public void Select_k_tolerates_rounding_just_below_the_threshold()
    {
        Assert.Equal(2, PcaFitter.SelectK([0.4, 0.35 - 1e-15, 0.25], 0.75));
        Assert.Equal(3, PcaFitter.SelectK([0.4, 0.35 - 1e-9, 0.25], 0.75));
        Assert.Equal(1, PcaFitter.SelectK([1.0, 0.0], 1.0));
    }

    [Fact]
    public void Fixed_k_is_honoured()
    {
        var model = new PcaFitter().Fit(Diagonal(4.0, 2.0, 1.0, 1.0), new PcaSelection(0.1, FixedK: 3));
        Assert.Equal(3, model.K);
        Assert.Equal(0.875, model.VarianceKept);
        Assert.Equal(3, model.Selection.FixedK);
    }

    [Fact]
    public void Invalid_selection_or_too_few_rows_throw()
    {
        var fitter = new PcaFitter();
        var stats = Diagonal(4.0, 2.0, 1.0);
        Assert.Throws<ArgumentOutOfRangeException>(() => fitter.Fit(stats, new PcaSelection(FixedK: 0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => fitter.Fit(stats, new PcaSelection(FixedK: 4)));

        var one = MomentStatistics.FromRows([1f, 2f, 3f], 1, 3);
        var error = Assert.Throws<InvalidOperationException>(() => fitter.Fit(one, new PcaSelection()));
        Assert.Contains("at least 2", error.Message);
        Assert.Throws<InvalidOperationException>(() => fitter.Fit(MomentStatistics.Empty(3), new PcaSelection()));
        Assert.Throws<InvalidOperationException>(() => fitter.Fit(MomentStatistics.FromRows([1f, 2f, 1f, 2f], 2, 2), new PcaSelection()));
    }

    /// <summary>Statistics of 9 rows whose covariance is diag(variances).</summary>
    internal static MomentStatistics Diagonal(params double[] variances)
    {
        var d = variances.Length;
        const int count = 9;
        var m2 = new double[PackedTriangle.Length(d)];
        for (var i = 0; i < d; i++)
        {
            m2[PackedTriangle.Index(d, i, i)] = variances[i] * (count - 1);
        }

        return new MomentStatistics { Dimension = d, Count = count, Mean = Enumerable.Range(1, d).Select(i => (double)i).ToArray(), CoMoment = m2 };
    }
}
