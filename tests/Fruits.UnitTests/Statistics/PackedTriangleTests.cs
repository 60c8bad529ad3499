using Fruits.Pipeline.Statistics;

namespace Fruits.UnitTests.Statistics;

/// <summary>The packed forms the fit reads instead of a second full matrix, against the full expansion.</summary>
public sealed class PackedTriangleTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(130)]
    public void The_lower_triangle_is_the_full_expansion_s_with_zeros_above(int d)
    {
        var packed = RandomPacked(d, seed: d);
        var full = PackedTriangle.ToFull(packed, d, 0.25);

        var lower = PackedTriangle.ToLower(packed, d, 0.25);

        for (var i = 0; i < d; i++)
        {
            for (var j = 0; j < d; j++)
            {
                Assert.Equal(j <= i ? full[(i * d) + j] : 0.0, lower[(i * d) + j]);
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(9)]
    [InlineData(131)]
    public void The_packed_product_is_the_full_matrix_s(int d)
    {
        var packed = RandomPacked(d, seed: 3 * d);
        var full = PackedTriangle.ToFull(packed, d, 0.5);
        var x = Enumerable.Range(0, d).Select(i => Math.Sin(i + 1.0)).ToArray();
        var y = new double[d];

        PackedTriangle.Multiply(packed, d, 0.5, x, y);

        for (var i = 0; i < d; i++)
        {
            var expected = 0.0;
            for (var j = 0; j < d; j++)
            {
                expected += full[(i * d) + j] * x[j];
            }

            Assert.Equal(expected, y[i], 1e-12 * Math.Max(1, Math.Abs(expected)));
        }
    }

    [Fact]
    public void The_residual_from_packed_statistics_is_the_full_matrix_s()
    {
        const int d = 60;
        var packed = RandomPacked(d, seed: 11);
        var full = PackedTriangle.ToFull(packed, d, 1.0 / 8);
        var solver = new SymmetricEigensolver(PackedTriangle.ToLower(packed, d, 1.0 / 8), d);
        var vectors = solver.LargestEigenvectors(6);
        // Eigenvectors of the matrix (residual near zero), then the same vectors against the wrong eigenvalues.
        var values = solver.Eigenvalues[..6].ToArray();
        var wrong = values.Select(v => v * 1.1).ToArray();

        var exact = PcaFitter.MaxResidual(packed, d, 1.0 / 8, values, vectors);
        var off = PcaFitter.MaxResidual(packed, d, 1.0 / 8, wrong, vectors);

        Assert.Equal(EigenResidual.Max(full, d, values, vectors), exact, 1e-12 * values[0]);
        Assert.True(exact <= 1e-11 * values[0], $"residual {exact}");
        Assert.Equal(EigenResidual.Max(full, d, wrong, vectors), off, 1e-12 * values[0]);
        Assert.True(off > 1e-3 * values[0], $"residual {off}");
    }

    /// <summary>A co-moment matrix's packed upper triangle: positive semi-definite, as sums of outer products are.</summary>
    private static double[] RandomPacked(int d, int seed)
    {
        var random = new Random(seed);
        var packed = new double[PackedTriangle.Length(d)];
        for (var row = 0; row < d + 3; row++)
        {
            var x = Enumerable.Range(0, d).Select(_ => random.NextDouble() - 0.5).ToArray();
            for (var i = 0; i < d; i++)
            {
                for (var j = i; j < d; j++)
                {
                    packed[PackedTriangle.Index(d, i, j)] += x[i] * x[j];
                }
            }
        }

        return packed;
    }
}
