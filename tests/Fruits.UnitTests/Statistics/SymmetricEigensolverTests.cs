using Fruits.Pipeline.Statistics;
using MathNet.Numerics.LinearAlgebra;

namespace Fruits.UnitTests.Statistics;

/// <summary>The partial eigensolver against MathNet's full symmetric decomposition, including the spectra that break naive inverse iteration.</summary>
public sealed class SymmetricEigensolverTests
{
    public static TheoryData<string> Spectra => ["distinct", "repeated", "rank-deficient", "clustered", "tiny"];

    [Theory]
    [MemberData(nameof(Spectra))]
    public void Eigenvalues_match_the_full_decomposition(string spectrum)
    {
        var (matrix, n) = Build(spectrum);
        var expected = Matrix<double>.Build.Dense(n, n, (double[])matrix.Clone()).Evd(Symmetricity.Symmetric)
            .EigenValues.Select(v => v.Real).OrderDescending().ToArray();

        var solver = new SymmetricEigensolver((double[])matrix.Clone(), n);

        var scale = Math.Abs(expected[0]);
        for (var i = 0; i < n; i++)
        {
            Assert.True(Math.Abs(expected[i] - solver.Eigenvalues[i]) <= 1e-12 * scale, $"{spectrum}: eigenvalue {i}: {solver.Eigenvalues[i]} vs {expected[i]}");
        }
    }

    [Theory]
    [MemberData(nameof(Spectra))]
    public void Leading_eigenvectors_are_orthonormal_eigenvectors(string spectrum)
    {
        var (matrix, n) = Build(spectrum);
        var solver = new SymmetricEigensolver((double[])matrix.Clone(), n);
        var k = Math.Min(n, 24);
        var vectors = solver.LargestEigenvectors(k);

        Assert.True(EigenResidual.Max(matrix, n, solver.Eigenvalues[..k], vectors) <= 1e-11 * Math.Abs(solver.Eigenvalues[0]), $"{spectrum}: residual");
        for (var a = 0; a < k; a++)
        {
            for (var b = 0; b <= a; b++)
            {
                var dot = 0.0;
                for (var j = 0; j < n; j++)
                {
                    dot += vectors[(a * n) + j] * vectors[(b * n) + j];
                }

                Assert.True(Math.Abs(dot - (a == b ? 1 : 0)) <= 1e-10, $"{spectrum}: <v{a}, v{b}> = {dot}");
            }
        }
    }

    [Fact]
    public void Isolated_eigenvectors_match_the_full_decomposition_up_to_sign()
    {
        var (matrix, n) = Build("distinct");
        var solver = new SymmetricEigensolver((double[])matrix.Clone(), n);
        var fast = solver.LargestEigenvectors(10);
        var full = PcaFitter.FullDecompositionVectors(matrix, n, 10);
        for (var c = 0; c < 10; c++)
        {
            var dot = 0.0;
            for (var j = 0; j < n; j++)
            {
                dot += fast[(c * n) + j] * full[(c * n) + j];
            }

            Assert.True(1 - Math.Abs(dot) <= 1e-12, $"vector {c}: |cos| = {Math.Abs(dot)}");
        }
    }

    /// <summary>Q diag(values) Q^T with a random orthogonal Q, so the true spectrum is known.</summary>
    private static (double[] Matrix, int N) Build(string spectrum)
    {
        // 320 rows: the reduction's large blocks take the parallel row chunks and its small ones the serial path.
        var n = spectrum == "tiny" ? 3 : 320;
        var random = new Random(spectrum.Length);
        var values = spectrum switch
        {
            "distinct" => Enumerable.Range(0, n).Select(i => 100.0 * Math.Pow(0.93, i)).ToArray(),
            // Exactly repeated eigenvalues: eigenvectors are only defined up to a rotation inside each space.
            "repeated" => Enumerable.Range(0, n).Select(i => i < 5 ? 7.0 : i < 12 ? 3.0 : 1.0 / (i + 1)).ToArray(),
            // A job with fewer images than features: most of the spectrum is an exact zero cluster.
            "rank-deficient" => Enumerable.Range(0, n).Select(i => i < 20 ? 10.0 / (i + 1) : 0.0).ToArray(),
            "clustered" => Enumerable.Range(0, n).Select(i => 5.0 + (1e-9 * i) + (i % 7 == 0 ? 1 : 0)).ToArray(),
            _ => [2.0, 1.0, 0.5],
        };

        var q = Matrix<double>.Build.Random(n, n, new MathNet.Numerics.Distributions.Normal(0, 1, random)).QR().Q;
        var a = q * Matrix<double>.Build.DenseOfDiagonalArray(values) * q.Transpose();
        a = (a + a.Transpose()) / 2;
        return (a.ToRowMajorArray(), n);
    }
}
