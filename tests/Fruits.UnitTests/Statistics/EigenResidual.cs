namespace Fruits.UnitTests.Statistics;

/// <summary>
/// The eigenvector check of a dense matrix, written plainly: the reference the fitter's packed, parallel check is
/// compared with, and the check of the eigensolver on matrices that were never packed.
/// </summary>
internal static class EigenResidual
{
    /// <summary>Largest |C v - lambda v| over the rows of <paramref name="vectors"/>, C a row-major d x d matrix.</summary>
    public static double Max(double[] matrix, int d, ReadOnlySpan<double> values, double[] vectors)
    {
        var worst = 0.0;
        for (var c = 0; c < values.Length; c++)
        {
            var norm = 0.0;
            for (var i = 0; i < d; i++)
            {
                var product = 0.0;
                for (var j = 0; j < d; j++)
                {
                    product += matrix[(i * d) + j] * vectors[(c * d) + j];
                }

                var r = product - (values[c] * vectors[(c * d) + i]);
                norm += r * r;
            }

            worst = Math.Max(worst, Math.Sqrt(norm));
        }

        return worst;
    }
}
