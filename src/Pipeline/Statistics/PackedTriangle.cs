using System.Runtime.CompilerServices;

namespace Fruits.Pipeline.Statistics;

/// <summary>Index arithmetic for a d x d symmetric matrix stored as its packed upper triangle (row-major, i &lt;= j).</summary>
public static class PackedTriangle
{
    /// <summary>Number of stored entries, d(d+1)/2.</summary>
    public static int Length(int dimension)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(dimension);
        var length = (long)dimension * (dimension + 1) / 2;
        if (length > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "Packed triangle would exceed the maximum array length.");
        }

        return (int)length;
    }

    /// <summary>Index of entry (i, i): row i holds columns i..d-1 contiguously from here.</summary>
    public static int RowStart(int dimension, int row) => (int)((long)row * dimension - (long)row * (row - 1) / 2);

    /// <summary>Index of entry (i, j) for either order of i and j.</summary>
    public static int Index(int dimension, int i, int j)
    {
        if (i > j)
        {
            (i, j) = (j, i);
        }

        return RowStart(dimension, i) + (j - i);
    }

    /// <summary>Expands to a full symmetric row-major d x d matrix, multiplying every entry by <paramref name="scale"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double[] ToFull(ReadOnlySpan<double> packed, int dimension, double scale = 1.0)
    {
        if (packed.Length != Length(dimension))
        {
            throw new ArgumentException($"Packed length {packed.Length} does not match dimension {dimension}.", nameof(packed));
        }

        var full = new double[(long)dimension * dimension];
        var p = 0;
        for (var i = 0; i < dimension; i++)
        {
            for (var j = i; j < dimension; j++, p++)
            {
                var v = packed[p] * scale;
                full[(long)i * dimension + j] = v;
                full[(long)j * dimension + i] = v;
            }
        }

        return full;
    }

    /// <summary>
    /// Only the lower triangle (i &gt;= j) of the full row-major d x d matrix, each entry multiplied by
    /// <paramref name="scale"/>; the upper stays zero. What the eigensolver reads: filled row by row, which writes
    /// memory in order instead of a column at a time as the mirror image of a full expansion does.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double[] ToLower(ReadOnlySpan<double> packed, int dimension, double scale = 1.0)
    {
        if (packed.Length != Length(dimension))
        {
            throw new ArgumentException($"Packed length {packed.Length} does not match dimension {dimension}.", nameof(packed));
        }

        var lower = new double[(long)dimension * dimension];
        for (var i = 0; i < dimension; i++)
        {
            var row = lower.AsSpan(i * dimension, i + 1);
            for (var j = 0; j <= i; j++)
            {
                row[j] = packed[RowStart(dimension, j) + (i - j)] * scale;
            }
        }

        return lower;
    }

    /// <summary>y = scale * A x for the symmetric matrix A stored packed: each stored row is read once, for its dot and its mirror.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply(ReadOnlySpan<double> packed, int dimension, double scale, ReadOnlySpan<double> x, Span<double> y)
    {
        y[..dimension].Clear();
        for (var i = 0; i < dimension; i++)
        {
            var row = packed.Slice(RowStart(dimension, i), dimension - i);
            y[i] += VectorMath.Dot(row, x[i..dimension]);
            if (i + 1 < dimension)
            {
                VectorMath.Axpy(x[i], row[1..], y[(i + 1)..dimension]);
            }
        }

        for (var i = 0; i < dimension; i++)
        {
            y[i] *= scale;
        }
    }
}
