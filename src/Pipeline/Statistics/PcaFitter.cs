using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra.Factorization;

namespace Fruits.Pipeline.Statistics;

/// <summary>Covariance from merged statistics -> all eigenvalues -> k -> the k leading eigenvectors as components.</summary>
public sealed class PcaFitter
{
    /// <summary>Cumulative ratios this close below the threshold still count as reaching it, so rounding cannot add a component.</summary>
    public const double ThresholdTolerance = 1e-12;

    /// <summary>Eigenvector residuals above this fraction of the largest eigenvalue send the fit to the full decomposition.</summary>
    public const double ResidualTolerance = 1e-9;

    /// <summary>
    /// Names how this fitter computes a model from statistics. Fits kept for reuse are keyed by it: raise it with any
    /// change that can change a fitted model, so that no job takes a fit this fitter would not have made.
    /// </summary>
    public const int MethodVersion = 1;

    public PcaModel Fit(MomentStatistics statistics, PcaSelection selection)
    {
        ArgumentNullException.ThrowIfNull(statistics);
        ArgumentNullException.ThrowIfNull(selection);
        var d = statistics.Dimension;

        // The rules a job's k and threshold follow are JobSpec.Validate's; here a fixed k only has to index the spectrum.
        if (selection.FixedK is { } fixedK)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(fixedK, nameof(selection));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(fixedK, d, nameof(selection));
        }
        if (statistics.Count < 2)
        {
            throw new InvalidOperationException($"PCA needs at least 2 rows, the statistics hold {statistics.Count}.");
        }

        if (statistics.Mean.Length != d || statistics.CoMoment.Length != PackedTriangle.Length(d))
        {
            throw new ArgumentException("Statistics arrays do not match their dimension.", nameof(statistics));
        }

        // The solver reads the lower triangle and works in place; the residual check below reads the packed statistics,
        // so no second full matrix is made.
        var scale = 1.0 / (statistics.Count - 1);
        var solver = new SymmetricEigensolver(PackedTriangle.ToLower(statistics.CoMoment, d, scale), d);
        var eigenvalues = new double[d];
        for (var c = 0; c < d; c++)
        {
            // Round-off leaves a PSD matrix's null-space eigenvalues slightly negative; they carry no variance.
            eigenvalues[c] = Math.Max(0.0, solver.Eigenvalues[c]);
        }

        var total = eigenvalues.Sum();
        if (!(total > 0) || !double.IsFinite(total))
        {
            throw new InvalidOperationException($"PCA needs variance: the {statistics.Count} rows have total variance {total}.");
        }

        var ratios = new double[d];
        for (var c = 0; c < d; c++)
        {
            ratios[c] = eigenvalues[c] / total;
        }

        var k = selection.FixedK ?? SelectK(ratios, selection.Threshold);
        var components = solver.LargestEigenvectors(k);
        if (MaxResidual(statistics.CoMoment, d, scale, solver.Eigenvalues[..k], components) > ResidualTolerance * Math.Max(eigenvalues[0], double.Epsilon))
        {
            // Inverse iteration has no proof of convergence for pathological spectra; a full decomposition does.
            components = FullDecompositionVectors(PackedTriangle.ToFull(statistics.CoMoment, d, scale), d, k);
        }

        for (var c = 0; c < k; c++)
        {
            Normalize(components.AsSpan(c * d, d));
        }

        return new PcaModel
        {
            Dimension = d,
            Count = statistics.Count,
            K = k,
            Mean = (double[])statistics.Mean.Clone(),
            Components = components,
            Eigenvalues = eigenvalues,
            ExplainedVarianceRatio = ratios,
            Selection = selection,
        };
    }

    /// <summary>
    /// Largest |C v - lambda v| over the rows of <paramref name="vectors"/>, for C = scale * A and A stored packed
    /// (<see cref="PackedTriangle"/>): how far they are from eigenvectors. The vectors are checked in parallel.
    /// </summary>
    public static double MaxResidual(double[] packed, int d, double scale, ReadOnlySpan<double> values, double[] vectors)
    {
        var count = values.Length;
        var lambdas = values.ToArray();
        var residuals = new double[count];
        Parallel.For(0, count, () => new double[d], (c, _, product) =>
        {
            var v = vectors.AsSpan(c * d, d);
            PackedTriangle.Multiply(packed, d, scale, v, product);
            var norm = 0.0;
            for (var i = 0; i < d; i++)
            {
                var r = product[i] - (lambdas[c] * v[i]);
                norm += r * r;
            }

            residuals[c] = Math.Sqrt(norm);
            return product;
        }, _ => { });
        var worst = 0.0;
        foreach (var residual in residuals)
        {
            worst = Math.Max(worst, residual);
        }

        return worst;
    }

    /// <summary>The k leading eigenvectors from MathNet's full symmetric decomposition (rows, unnormalized sign).</summary>
    public static double[] FullDecompositionVectors(double[] matrix, int d, int k)
    {
        // Symmetric, so the row-major array is also the column-major storage MathNet expects.
        var evd = Matrix<double>.Build.Dense(d, d, (double[])matrix.Clone()).Evd(Symmetricity.Symmetric);
        var order = Enumerable.Range(0, d).OrderByDescending(i => evd.EigenValues[i].Real).ThenBy(i => i).ToArray();
        var vectors = new double[k * d];
        for (var c = 0; c < k; c++)
        {
            for (var j = 0; j < d; j++)
            {
                vectors[(c * d) + j] = evd.EigenVectors[j, order[c]];
            }
        }

        return vectors;
    }

    /// <summary>Smallest k whose cumulative explained-variance ratio reaches <paramref name="threshold"/>.</summary>
    public static int SelectK(ReadOnlySpan<double> ratios, double threshold)
    {
        var cumulative = 0.0;
        for (var k = 1; k <= ratios.Length; k++)
        {
            cumulative += ratios[k - 1];
            if (cumulative >= threshold - ThresholdTolerance)
            {
                return k;
            }
        }

        return ratios.Length;
    }

    /// <summary>Unit length, and the largest-magnitude entry positive (sklearn's svd_flip), so fits are reproducible.</summary>
    private static void Normalize(Span<double> row)
    {
        var norm = 0.0;
        var largest = 0;
        for (var j = 0; j < row.Length; j++)
        {
            norm += row[j] * row[j];
            if (Math.Abs(row[j]) > Math.Abs(row[largest]))
            {
                largest = j;
            }
        }

        var scale = 1.0 / Math.Sqrt(norm);
        if (row[largest] < 0)
        {
            scale = -scale;
        }

        for (var j = 0; j < row.Length; j++)
        {
            row[j] *= scale;
        }
    }
}
