using System.Numerics;
using System.Runtime.CompilerServices;

namespace Fruits.Pipeline.Statistics;

/// <summary>Chan et al. pairwise update shared by <see cref="MomentStatistics"/> and <see cref="MomentAccumulator"/>.</summary>
internal static class MomentMath
{
    /// <summary>
    /// Combines (na, meanA, m2A) with (nb, meanB, m2B) into (meanOut, m2Out); the outputs may be the A arrays
    /// themselves, because every element is read before it is written. Both counts must be positive.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Merge(
        int dimension,
        long na, ReadOnlySpan<double> meanA, ReadOnlySpan<double> m2A,
        long nb, ReadOnlySpan<double> meanB, ReadOnlySpan<double> m2B,
        Span<double> meanOut, Span<double> m2Out, Span<double> delta)
    {
        double n = na + nb;
        var weight = (double)na * nb / n;
        var meanStep = nb / n;
        for (var j = 0; j < dimension; j++)
        {
            delta[j] = meanB[j] - meanA[j];
        }

        var width = Vector<double>.Count;
        var p = 0;
        for (var i = 0; i < dimension; i++)
        {
            var length = dimension - i;
            var scale = weight * delta[i];
            var a = m2A.Slice(p, length);
            var b = m2B.Slice(p, length);
            var o = m2Out.Slice(p, length);
            var d = delta.Slice(i, length);
            var vScale = new Vector<double>(scale);
            var k = 0;
            for (; k <= length - width; k += width)
            {
                var v = new Vector<double>(a[k..]) + new Vector<double>(b[k..]) + (vScale * new Vector<double>(d[k..]));
                v.CopyTo(o[k..]);
            }

            for (; k < length; k++)
            {
                o[k] = a[k] + b[k] + (scale * d[k]);
            }

            p += length;
        }

        for (var j = 0; j < dimension; j++)
        {
            meanOut[j] = meanA[j] + (delta[j] * meanStep);
        }
    }
}
