using Fruits.Pipeline.Statistics;

namespace Fruits.UnitTests.Statistics;

public sealed class PcaProjectorTests
{
    [Theory]
    [InlineData(1, 7, 3)]
    [InlineData(6, 13, 5)]
    [InlineData(64, 1280, 30)]
    [InlineData(33, 130, 130)]
    public void Matches_naive_double(int count, int dimension, int k)
    {
        var rng = new Random(count + dimension + k);
        var mean = Enumerable.Range(0, dimension).Select(_ => rng.NextDouble() * 2).ToArray();
        var components = Enumerable.Range(0, k * dimension).Select(_ => rng.NextDouble() - 0.5).ToArray();
        var model = new PcaModel
        {
            Dimension = dimension,
            Count = 100,
            K = k,
            Mean = mean,
            Components = components,
            Eigenvalues = new double[dimension],
            ExplainedVarianceRatio = new double[dimension],
            Selection = new PcaSelection(FixedK: k),
        };
        var rows = StatisticsTestData.NonNegativeRows(count, count, dimension);
        var output = new float[(count * k) + 3];
        output.AsSpan().Fill(float.NaN);
        new PcaProjector(model).Project(rows, count, output);

        for (var r = 0; r < count; r++)
        {
            var scale = 0.0;
            var expected = new double[k];
            for (var c = 0; c < k; c++)
            {
                for (var j = 0; j < dimension; j++)
                {
                    var term = (rows[(r * dimension) + j] - mean[j]) * components[(c * dimension) + j];
                    expected[c] += term;
                    scale += Math.Abs(term);
                }
            }

            scale /= k;
            for (var c = 0; c < k; c++)
            {
                var got = output[(r * k) + c];
                Assert.True(Math.Abs(got - expected[c]) <= (1e-6 * Math.Abs(expected[c])) + (1e-9 * scale), $"[{r},{c}]: {got} vs {expected[c]}");
            }
        }

        Assert.All(output[(count * k)..], v => Assert.True(float.IsNaN(v)));
    }

    /// <summary>A photo classified alone gets the very scores its row gets in a job's block of rows.</summary>
    [Theory]
    [InlineData(1280, 30)]
    [InlineData(13, 5)]
    public void A_row_projected_alone_gets_the_same_bits_as_in_a_block(int dimension, int k)
    {
        const int count = 19;
        var rng = new Random(dimension + k);
        var model = new PcaModel
        {
            Dimension = dimension,
            Count = 100,
            K = k,
            Mean = [.. Enumerable.Range(0, dimension).Select(_ => rng.NextDouble() * 2)],
            Components = [.. Enumerable.Range(0, k * dimension).Select(_ => rng.NextDouble() - 0.5)],
            Eigenvalues = new double[dimension],
            ExplainedVarianceRatio = new double[dimension],
            Selection = new PcaSelection(FixedK: k),
        };
        var projector = new PcaProjector(model);
        var rows = StatisticsTestData.NonNegativeRows(7, count, dimension);
        var block = new float[count * k];
        projector.Project(rows, count, block);

        for (var r = 0; r < count; r++)
        {
            var alone = new float[k];
            projector.Project(rows.AsSpan(r * dimension, dimension), 1, alone);
            Assert.Equal(block.AsSpan(r * k, k).ToArray(), alone);
        }
    }

    [Fact]
    public void Projects_fitted_model_onto_its_principal_axes()
    {
        const int count = 150, dimension = 48;
        var rows = StatisticsTestData.LowRankRows(21, count, dimension, 6, 0.5);
        var model = new PcaFitter().Fit(MomentStatistics.FromRows(rows, count, dimension), new PcaSelection(FixedK: 4));
        var output = new float[count * 4];
        new PcaProjector(model).Project(rows, count, output);

        // Scores are centred and their variance is the eigenvalue.
        for (var c = 0; c < 4; c++)
        {
            var scores = Enumerable.Range(0, count).Select(r => (double)output[(r * 4) + c]).ToArray();
            Assert.True(Math.Abs(scores.Average()) < 1e-4 * Math.Sqrt(model.Eigenvalues[c]));
            var variance = scores.Sum(s => s * s) / (count - 1);
            Assert.True(Math.Abs(variance - model.Eigenvalues[c]) < 1e-5 * model.Eigenvalues[c], $"component {c}: {variance} vs {model.Eigenvalues[c]}");
        }
    }

    [Fact]
    public void Rejects_short_buffers()
    {
        var model = new PcaFitter().Fit(PcaFitterTests.Diagonal(3, 2, 1), new PcaSelection(FixedK: 2));
        var projector = new PcaProjector(model);
        Assert.Throws<ArgumentException>(() => projector.Project(new float[5], 2, new float[4]));
        Assert.Throws<ArgumentException>(() => projector.Project(new float[6], 2, new float[3]));
        projector.Project(ReadOnlySpan<float>.Empty, 0, Span<float>.Empty);
    }
}
