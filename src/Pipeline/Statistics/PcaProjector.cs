using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Fruits.Pipeline.Statistics;

/// <summary>
/// (x - mean) . components^T for a block of feature rows. Arithmetic is double: each row is widened once,
/// then dotted with every component as a plain GEMM and the precomputed bias (components . mean) subtracted;
/// in double that subtraction loses nothing measurable, whereas in float it would cancel badly for
/// non-negative features whose mean is large next to their spread. Thread-safe: the only per-call state is pooled scratch.
/// </summary>
public sealed class PcaProjector
{
    private const int RowBlock = 8;

    private readonly double[] _components;
    private readonly double[] _bias;
    private readonly int _dimension;
    private readonly int _k;

    public PcaProjector(PcaModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Components.Length != (long)model.K * model.Dimension || model.Mean.Length != model.Dimension)
        {
            throw new ArgumentException("Model arrays do not match its dimension and k.", nameof(model));
        }

        Model = model;
        _dimension = model.Dimension;
        _k = model.K;
        _components = model.Components;
        _bias = new double[_k];
        for (var c = 0; c < _k; c++)
        {
            _bias[c] = VectorMath.Dot(model.Components.AsSpan(c * _dimension, _dimension), model.Mean);
        }
    }

    public PcaModel Model { get; }

    /// <summary>Projects <paramref name="count"/> rows (row-major, Dimension floats each) into count x K floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Project(ReadOnlySpan<float> rows, int count, Span<float> output)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (rows.Length < (long)count * _dimension)
        {
            throw new ArgumentException($"Expected at least {(long)count * _dimension} floats for {count} rows, got {rows.Length}.", nameof(rows));
        }

        if (output.Length < (long)count * _k)
        {
            throw new ArgumentException($"Output needs {(long)count * _k} floats for {count} rows of {_k} components, got {output.Length}.", nameof(output));
        }

        if (count == 0)
        {
            return;
        }

        var scratch = ArrayPool<double>.Shared.Rent(RowBlock * _dimension);
        try
        {
            if (count == 1)
            {
                Widen(rows[.._dimension], scratch);
                unsafe
                {
                    fixed (double* x = scratch)
                    {
                        ProjectOne(x, output);
                    }
                }

                return;
            }

            for (var r0 = 0; r0 < count; r0 += RowBlock)
            {
                var n = Math.Min(RowBlock, count - r0);
                var block = scratch.AsSpan(0, RowBlock * _dimension);
                for (var r = 0; r < RowBlock; r++)
                {
                    var dst = block.Slice(r * _dimension, _dimension);
                    if (r < n)
                    {
                        Widen(rows.Slice((r0 + r) * _dimension, _dimension), dst);
                    }
                    else
                    {
                        dst.Clear();
                    }
                }

                ProjectBlock(scratch, n, output.Slice(r0 * _k, n * _k));
            }
        }
        finally
        {
            ArrayPool<double>.Shared.Return(scratch);
        }
    }

    /// <summary>
    /// Eight rows against every component: each component row is read once per eight rows, which is what bounds a
    /// projection of many rows. Every output is the same sum, in the same order, as <see cref="ProjectOne"/> makes it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe void ProjectBlock(double[] block, int n, Span<float> output)
    {
        var d = _dimension;
        Span<double> sums = stackalloc double[RowBlock];
        fixed (double* x = block)
        fixed (double* comp = _components)
        {
            for (var c = 0; c < _k; c++)
            {
                var w = comp + (long)c * d;
                var j = Vector512.IsHardwareAccelerated ? SumBlockWide(w, x, d, sums) : SumBlock(w, x, d, sums);
                for (var r = 0; r < n; r++)
                {
                    var row = x + (r * d);
                    var sum = sums[r];
                    for (var t = j; t < d; t++)
                    {
                        sum += w[t] * row[t];
                    }

                    output[(r * _k) + c] = (float)(sum - _bias[c]);
                }
            }
        }
    }

    /// <summary>Each of eight rows dotted with <paramref name="w"/> in 4-wide lanes; returns where the lanes stopped.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe int SumBlock(double* w, double* x, int d, Span<double> sums)
    {
        var a0 = Vector256<double>.Zero;
        var a1 = Vector256<double>.Zero;
        var a2 = Vector256<double>.Zero;
        var a3 = Vector256<double>.Zero;
        var a4 = Vector256<double>.Zero;
        var a5 = Vector256<double>.Zero;
        var a6 = Vector256<double>.Zero;
        var a7 = Vector256<double>.Zero;
        var j = 0;
        for (; j <= d - 4; j += 4)
        {
            var wv = Vector256.Load(w + j);
            a0 = VectorMath.MultiplyAdd(wv, Vector256.Load(x + j), a0);
            a1 = VectorMath.MultiplyAdd(wv, Vector256.Load(x + d + j), a1);
            a2 = VectorMath.MultiplyAdd(wv, Vector256.Load(x + (2 * d) + j), a2);
            a3 = VectorMath.MultiplyAdd(wv, Vector256.Load(x + (3 * d) + j), a3);
            a4 = VectorMath.MultiplyAdd(wv, Vector256.Load(x + (4 * d) + j), a4);
            a5 = VectorMath.MultiplyAdd(wv, Vector256.Load(x + (5 * d) + j), a5);
            a6 = VectorMath.MultiplyAdd(wv, Vector256.Load(x + (6 * d) + j), a6);
            a7 = VectorMath.MultiplyAdd(wv, Vector256.Load(x + (7 * d) + j), a7);
        }

        sums[0] = Vector256.Sum(a0);
        sums[1] = Vector256.Sum(a1);
        sums[2] = Vector256.Sum(a2);
        sums[3] = Vector256.Sum(a3);
        sums[4] = Vector256.Sum(a4);
        sums[5] = Vector256.Sum(a5);
        sums[6] = Vector256.Sum(a6);
        sums[7] = Vector256.Sum(a7);
        return j;
    }

    /// <summary>
    /// As <see cref="SumBlock"/> in 8-wide lanes, where 512-bit vectors run at full speed: the loop is bound by its
    /// loads (one component vector and eight row vectors per step), so twice the lanes is about twice the speed.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe int SumBlockWide(double* w, double* x, int d, Span<double> sums)
    {
        var a0 = Vector512<double>.Zero;
        var a1 = Vector512<double>.Zero;
        var a2 = Vector512<double>.Zero;
        var a3 = Vector512<double>.Zero;
        var a4 = Vector512<double>.Zero;
        var a5 = Vector512<double>.Zero;
        var a6 = Vector512<double>.Zero;
        var a7 = Vector512<double>.Zero;
        var j = 0;
        for (; j <= d - 8; j += 8)
        {
            var wv = Vector512.Load(w + j);
            a0 = Vector512.FusedMultiplyAdd(wv, Vector512.Load(x + j), a0);
            a1 = Vector512.FusedMultiplyAdd(wv, Vector512.Load(x + d + j), a1);
            a2 = Vector512.FusedMultiplyAdd(wv, Vector512.Load(x + (2 * d) + j), a2);
            a3 = Vector512.FusedMultiplyAdd(wv, Vector512.Load(x + (3 * d) + j), a3);
            a4 = Vector512.FusedMultiplyAdd(wv, Vector512.Load(x + (4 * d) + j), a4);
            a5 = Vector512.FusedMultiplyAdd(wv, Vector512.Load(x + (5 * d) + j), a5);
            a6 = Vector512.FusedMultiplyAdd(wv, Vector512.Load(x + (6 * d) + j), a6);
            a7 = Vector512.FusedMultiplyAdd(wv, Vector512.Load(x + (7 * d) + j), a7);
        }

        sums[0] = Vector512.Sum(a0);
        sums[1] = Vector512.Sum(a1);
        sums[2] = Vector512.Sum(a2);
        sums[3] = Vector512.Sum(a3);
        sums[4] = Vector512.Sum(a4);
        sums[5] = Vector512.Sum(a5);
        sums[6] = Vector512.Sum(a6);
        sums[7] = Vector512.Sum(a7);
        return j;
    }

    /// <summary>One row (a classified photo): the block kernel's arithmetic without its seven empty rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe void ProjectOne(double* x, Span<float> output)
    {
        var d = _dimension;
        fixed (double* comp = _components)
        {
            for (var c = 0; c < _k; c++)
            {
                var w = comp + (long)c * d;
                var j = 0;
                double sum;
                if (Vector512.IsHardwareAccelerated)
                {
                    var a0 = Vector512<double>.Zero;
                    for (; j <= d - 8; j += 8)
                    {
                        a0 = Vector512.FusedMultiplyAdd(Vector512.Load(w + j), Vector512.Load(x + j), a0);
                    }

                    sum = Vector512.Sum(a0);
                }
                else
                {
                    var a0 = Vector256<double>.Zero;
                    for (; j <= d - 4; j += 4)
                    {
                        a0 = VectorMath.MultiplyAdd(Vector256.Load(w + j), Vector256.Load(x + j), a0);
                    }

                    sum = Vector256.Sum(a0);
                }

                for (; j < d; j++)
                {
                    sum += w[j] * x[j];
                }

                output[c] = (float)(sum - _bias[c]);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Widen(ReadOnlySpan<float> source, Span<double> destination)
    {
        for (var j = 0; j < source.Length; j++)
        {
            destination[j] = source[j];
        }
    }
}
