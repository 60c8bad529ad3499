using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Fruits.Pipeline.Statistics;

/// <summary>
/// Packed-upper-triangle rank-k update C += (X - mean)^T (X - mean) for float rows, in double.
/// The centred rows are first repacked into 8-column panels so the 4x8 register micro-kernel reads
/// both operands as contiguous streams, and the triangle is swept one block of column panels at a time
/// so that block of the centred data stays in L2 while every triangle row above it is updated once.
/// Where 512-bit vectors run at full speed, each panel's eight rows are done at once: an 8x24 micro-kernel covers three
/// panels right of the diagonal per call, so each broadcast row value feeds three multiply-adds and the loop is bound by
/// arithmetic rather than loads, and an 8x8 micro-kernel takes the diagonal tile and any panels left over. Every entry
/// is still one fused multiply-add per row, in row order, from zero for each chunk of rows, so the result is bit for bit
/// the 4x8 kernel's. Every kernel finds where its tile lands in the triangle before its loop, so its accumulators stay
/// in registers.
/// </summary>
internal static class PackedSyrk
{
    private const int PanelWidth = 8;
    private const int RowBlock = 4;

    // Bounds the packed scratch (and keeps a column block's panels L2-resident) for very tall inputs.
    private const int RowChunk = 256;
    private const int ColumnBlockBytes = 192 * 1024;

    public static void AddCentred(ReadOnlySpan<float> rows, int count, int dimension, ReadOnlySpan<double> mean, Span<double> packed)
    {
        if (count == 0)
        {
            return;
        }

        var panels = (dimension + PanelWidth - 1) / PanelWidth;
        var chunk = Math.Min(count, RowChunk);
        var buffer = ArrayPool<double>.Shared.Rent(panels * PanelWidth * chunk);
        try
        {
            for (var r0 = 0; r0 < count; r0 += RowChunk)
            {
                var n = Math.Min(RowChunk, count - r0);
                Pack(rows.Slice(r0 * dimension, n * dimension), n, dimension, mean, buffer, panels);
                Update(buffer, n, dimension, panels, packed);
            }
        }
        finally
        {
            ArrayPool<double>.Shared.Return(buffer);
        }
    }

    /// <summary>Panel p holds columns 8p..8p+7 of all n centred rows, row after row; padding columns are zero.</summary>
    private static void Pack(ReadOnlySpan<float> rows, int n, int dimension, ReadOnlySpan<double> mean, double[] buffer, int panels)
    {
        var panelStride = n * PanelWidth;
        for (var p = 0; p < panels; p++)
        {
            var c0 = p * PanelWidth;
            var width = Math.Min(PanelWidth, dimension - c0);
            var panel = buffer.AsSpan(p * panelStride, panelStride);
            for (var r = 0; r < n; r++)
            {
                var src = rows.Slice(r * dimension + c0, width);
                var dst = panel.Slice(r * PanelWidth, PanelWidth);
                for (var c = 0; c < width; c++)
                {
                    dst[c] = src[c] - mean[c0 + c];
                }

                dst[width..].Clear();
            }
        }
    }

    private static unsafe void Update(double[] buffer, int n, int dimension, int panels, Span<double> packed)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            UpdateWide(buffer, n, dimension, panels, packed);
            return;
        }

        var panelStride = n * PanelWidth;
        var blockPanels = Math.Max(1, ColumnBlockBytes / (panelStride * sizeof(double)));
        fixed (double* data = buffer)
        fixed (double* triangle = packed)
        {
            for (var jb0 = 0; jb0 < panels; jb0 += blockPanels)
            {
                var jb1 = Math.Min(panels, jb0 + blockPanels);
                var iEnd = Math.Min(dimension, jb1 * PanelWidth);
                for (var i0 = 0; i0 < iEnd; i0 += RowBlock)
                {
                    var iPanel = i0 / PanelWidth;
                    var iData = data + (long)iPanel * panelStride + (i0 - iPanel * PanelWidth);
                    for (var jp = Math.Max(jb0, iPanel); jp < jb1; jp++)
                    {
                        Kernel(iData, data + (long)jp * panelStride, n, i0, jp * PanelWidth, dimension, triangle);
                    }
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Kernel(double* a, double* b, int n, int i0, int j0, int dimension, double* triangle)
    {
        // Where the tile's first row lands, found before the accumulators exist: a call after the loop would keep
        // them live across it, and the JIT would then spill every one of them to the stack at each step.
        var row0 = triangle + PackedTriangle.RowStart(dimension, i0) + (j0 - i0);
        var c00 = Vector256<double>.Zero;
        var c01 = Vector256<double>.Zero;
        var c10 = Vector256<double>.Zero;
        var c11 = Vector256<double>.Zero;
        var c20 = Vector256<double>.Zero;
        var c21 = Vector256<double>.Zero;
        var c30 = Vector256<double>.Zero;
        var c31 = Vector256<double>.Zero;
        for (var r = 0; r < n; r++)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 4);
            var a0 = Vector256.Create(a[0]);
            c00 = VectorMath.MultiplyAdd(a0, b0, c00);
            c01 = VectorMath.MultiplyAdd(a0, b1, c01);
            var a1 = Vector256.Create(a[1]);
            c10 = VectorMath.MultiplyAdd(a1, b0, c10);
            c11 = VectorMath.MultiplyAdd(a1, b1, c11);
            var a2 = Vector256.Create(a[2]);
            c20 = VectorMath.MultiplyAdd(a2, b0, c20);
            c21 = VectorMath.MultiplyAdd(a2, b1, c21);
            var a3 = Vector256.Create(a[3]);
            c30 = VectorMath.MultiplyAdd(a3, b0, c30);
            c31 = VectorMath.MultiplyAdd(a3, b1, c31);
            a += PanelWidth;
            b += PanelWidth;
        }

        if (j0 > i0 && j0 + PanelWidth <= dimension && i0 + RowBlock <= dimension)
        {
            // Whole tile strictly above the diagonal block and inside the matrix: vector stores. Row i + 1's entry
            // in column j0 lies dimension - i - 1 entries after row i's.
            var row1 = row0 + (dimension - i0 - 1);
            var row2 = row1 + (dimension - i0 - 2);
            AddRow(row0, c00, c01);
            AddRow(row1, c10, c11);
            AddRow(row2, c20, c21);
            AddRow(row2 + (dimension - i0 - 3), c30, c31);
            return;
        }

        var tile = stackalloc double[RowBlock * PanelWidth];
        c00.Store(tile);
        c01.Store(tile + 4);
        c10.Store(tile + 8);
        c11.Store(tile + 12);
        c20.Store(tile + 16);
        c21.Store(tile + 20);
        c30.Store(tile + 24);
        c31.Store(tile + 28);
        AddTile(tile, RowBlock, i0, j0, dimension, triangle);
    }

    /// <summary>As <see cref="Update"/>, with rows taken a whole panel (8) at a time.</summary>
    private static unsafe void UpdateWide(double[] buffer, int n, int dimension, int panels, Span<double> packed)
    {
        var panelStride = n * PanelWidth;
        var blockPanels = Math.Max(1, ColumnBlockBytes / (panelStride * sizeof(double)));
        fixed (double* data = buffer)
        fixed (double* triangle = packed)
        {
            for (var jb0 = 0; jb0 < panels; jb0 += blockPanels)
            {
                var jb1 = Math.Min(panels, jb0 + blockPanels);
                for (var iPanel = 0; iPanel < jb1; iPanel++)
                {
                    var iData = data + ((long)iPanel * panelStride);
                    var i0 = iPanel * PanelWidth;
                    var jp = Math.Max(jb0, iPanel);
                    if (jp == iPanel)
                    {
                        KernelWide(iData, iData, n, i0, i0, dimension, triangle);
                        jp++;
                    }

                    // Three panels to the right of the diagonal and wholly inside the matrix: the 8x24 tile needs no edge handling.
                    for (; jp + 3 <= jb1 && (jp + 3) * PanelWidth <= dimension; jp += 3)
                    {
                        KernelWide24(iData, data + ((long)jp * panelStride), panelStride, n, i0, jp * PanelWidth, dimension, triangle);
                    }

                    for (; jp < jb1; jp++)
                    {
                        KernelWide(iData, data + ((long)jp * panelStride), n, i0, jp * PanelWidth, dimension, triangle);
                    }
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void KernelWide(double* a, double* b, int n, int i0, int j0, int dimension, double* triangle)
    {
        // Found first: a call after the accumulators come to life would keep them live across it, and the JIT then
        // spills every one of them on each multiply-add.
        var entry = triangle + PackedTriangle.RowStart(dimension, i0) + (j0 - i0);
        var c0 = Vector512<double>.Zero;
        var c1 = Vector512<double>.Zero;
        var c2 = Vector512<double>.Zero;
        var c3 = Vector512<double>.Zero;
        var c4 = Vector512<double>.Zero;
        var c5 = Vector512<double>.Zero;
        var c6 = Vector512<double>.Zero;
        var c7 = Vector512<double>.Zero;

        for (var r = 0; r < n; r++)
        {
            var row = Vector512.Load(b);
            c0 = Vector512.FusedMultiplyAdd(Vector512.Create(a[0]), row, c0);
            c1 = Vector512.FusedMultiplyAdd(Vector512.Create(a[1]), row, c1);
            c2 = Vector512.FusedMultiplyAdd(Vector512.Create(a[2]), row, c2);
            c3 = Vector512.FusedMultiplyAdd(Vector512.Create(a[3]), row, c3);
            c4 = Vector512.FusedMultiplyAdd(Vector512.Create(a[4]), row, c4);
            c5 = Vector512.FusedMultiplyAdd(Vector512.Create(a[5]), row, c5);
            c6 = Vector512.FusedMultiplyAdd(Vector512.Create(a[6]), row, c6);
            c7 = Vector512.FusedMultiplyAdd(Vector512.Create(a[7]), row, c7);
            a += PanelWidth;
            b += PanelWidth;
        }

        if (j0 > i0 && j0 + PanelWidth <= dimension)
        {
            // Whole tile strictly above the diagonal block and inside the matrix (so are its rows): vector stores.
            var step = dimension - i0 - 1;
            AddRow(entry, c0);
            entry += step--;
            AddRow(entry, c1);
            entry += step--;
            AddRow(entry, c2);
            entry += step--;
            AddRow(entry, c3);
            entry += step--;
            AddRow(entry, c4);
            entry += step--;
            AddRow(entry, c5);
            entry += step--;
            AddRow(entry, c6);
            entry += step--;
            AddRow(entry, c7);
            return;
        }

        var tile = stackalloc double[PanelWidth * PanelWidth];
        c0.Store(tile);
        c1.Store(tile + 8);
        c2.Store(tile + 16);
        c3.Store(tile + 24);
        c4.Store(tile + 32);
        c5.Store(tile + 40);
        c6.Store(tile + 48);
        c7.Store(tile + 56);
        AddTile(tile, PanelWidth, i0, j0, dimension, triangle);
    }

    /// <summary>
    /// The 8x8 tiles of three consecutive panels (from <paramref name="b"/>, <paramref name="panelStride"/> apart) at once,
    /// strictly right of the diagonal and inside the matrix: each broadcast of a feeds three multiply-adds instead of one.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void KernelWide24(double* a, double* b, int panelStride, int n, int i0, int j0, int dimension, double* triangle)
    {
        // Found first, as in KernelWide.
        var entry = triangle + PackedTriangle.RowStart(dimension, i0) + (j0 - i0);
        var c00 = Vector512<double>.Zero;
        var c01 = Vector512<double>.Zero;
        var c02 = Vector512<double>.Zero;
        var c10 = Vector512<double>.Zero;
        var c11 = Vector512<double>.Zero;
        var c12 = Vector512<double>.Zero;
        var c20 = Vector512<double>.Zero;
        var c21 = Vector512<double>.Zero;
        var c22 = Vector512<double>.Zero;
        var c30 = Vector512<double>.Zero;
        var c31 = Vector512<double>.Zero;
        var c32 = Vector512<double>.Zero;
        var c40 = Vector512<double>.Zero;
        var c41 = Vector512<double>.Zero;
        var c42 = Vector512<double>.Zero;
        var c50 = Vector512<double>.Zero;
        var c51 = Vector512<double>.Zero;
        var c52 = Vector512<double>.Zero;
        var c60 = Vector512<double>.Zero;
        var c61 = Vector512<double>.Zero;
        var c62 = Vector512<double>.Zero;
        var c70 = Vector512<double>.Zero;
        var c71 = Vector512<double>.Zero;
        var c72 = Vector512<double>.Zero;
        var b1 = b + panelStride;
        var b2 = b1 + panelStride;
        for (var r = 0; r < n; r++)
        {
            var x0 = Vector512.Load(b);
            var x1 = Vector512.Load(b1);
            var x2 = Vector512.Load(b2);
            var a0 = Vector512.Create(a[0]);
            c00 = Vector512.FusedMultiplyAdd(a0, x0, c00);
            c01 = Vector512.FusedMultiplyAdd(a0, x1, c01);
            c02 = Vector512.FusedMultiplyAdd(a0, x2, c02);
            var a1 = Vector512.Create(a[1]);
            c10 = Vector512.FusedMultiplyAdd(a1, x0, c10);
            c11 = Vector512.FusedMultiplyAdd(a1, x1, c11);
            c12 = Vector512.FusedMultiplyAdd(a1, x2, c12);
            var a2 = Vector512.Create(a[2]);
            c20 = Vector512.FusedMultiplyAdd(a2, x0, c20);
            c21 = Vector512.FusedMultiplyAdd(a2, x1, c21);
            c22 = Vector512.FusedMultiplyAdd(a2, x2, c22);
            var a3 = Vector512.Create(a[3]);
            c30 = Vector512.FusedMultiplyAdd(a3, x0, c30);
            c31 = Vector512.FusedMultiplyAdd(a3, x1, c31);
            c32 = Vector512.FusedMultiplyAdd(a3, x2, c32);
            var a4 = Vector512.Create(a[4]);
            c40 = Vector512.FusedMultiplyAdd(a4, x0, c40);
            c41 = Vector512.FusedMultiplyAdd(a4, x1, c41);
            c42 = Vector512.FusedMultiplyAdd(a4, x2, c42);
            var a5 = Vector512.Create(a[5]);
            c50 = Vector512.FusedMultiplyAdd(a5, x0, c50);
            c51 = Vector512.FusedMultiplyAdd(a5, x1, c51);
            c52 = Vector512.FusedMultiplyAdd(a5, x2, c52);
            var a6 = Vector512.Create(a[6]);
            c60 = Vector512.FusedMultiplyAdd(a6, x0, c60);
            c61 = Vector512.FusedMultiplyAdd(a6, x1, c61);
            c62 = Vector512.FusedMultiplyAdd(a6, x2, c62);
            var a7 = Vector512.Create(a[7]);
            c70 = Vector512.FusedMultiplyAdd(a7, x0, c70);
            c71 = Vector512.FusedMultiplyAdd(a7, x1, c71);
            c72 = Vector512.FusedMultiplyAdd(a7, x2, c72);
            a += PanelWidth;
            b += PanelWidth;
            b1 += PanelWidth;
            b2 += PanelWidth;
        }

        // Entry (i + 1, j) lies dimension - i - 1 entries after entry (i, j).
        var step = dimension - i0 - 1;
        AddRow(entry, c00);
        AddRow(entry + 8, c01);
        AddRow(entry + 16, c02);
        entry += step--;
        AddRow(entry, c10);
        AddRow(entry + 8, c11);
        AddRow(entry + 16, c12);
        entry += step--;
        AddRow(entry, c20);
        AddRow(entry + 8, c21);
        AddRow(entry + 16, c22);
        entry += step--;
        AddRow(entry, c30);
        AddRow(entry + 8, c31);
        AddRow(entry + 16, c32);
        entry += step--;
        AddRow(entry, c40);
        AddRow(entry + 8, c41);
        AddRow(entry + 16, c42);
        entry += step--;
        AddRow(entry, c50);
        AddRow(entry + 8, c51);
        AddRow(entry + 16, c52);
        entry += step--;
        AddRow(entry, c60);
        AddRow(entry + 8, c61);
        AddRow(entry + 16, c62);
        entry += step--;
        AddRow(entry, c70);
        AddRow(entry + 8, c71);
        AddRow(entry + 16, c72);
    }

    /// <summary>
    /// Adds a tile of <paramref name="rows"/> x <see cref="PanelWidth"/> at (<paramref name="i0"/>, <paramref name="j0"/>)
    /// entry by entry: only its entries on or above the diagonal and inside the matrix belong to the triangle.
    /// </summary>
    private static unsafe void AddTile(double* tile, int rows, int i0, int j0, int dimension, double* triangle)
    {
        for (var ii = 0; ii < rows; ii++)
        {
            var i = i0 + ii;
            if (i >= dimension)
            {
                break;
            }

            var rowStart = PackedTriangle.RowStart(dimension, i);
            for (var jj = 0; jj < PanelWidth; jj++)
            {
                var j = j0 + jj;
                if (j >= i && j < dimension)
                {
                    triangle[rowStart + (j - i)] += tile[(ii * PanelWidth) + jj];
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void AddRow(double* destination, Vector512<double> row) =>
        (Vector512.Load(destination) + row).Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void AddRow(double* destination, Vector256<double> low, Vector256<double> high)
    {
        (Vector256.Load(destination) + low).Store(destination);
        (Vector256.Load(destination + 4) + high).Store(destination + 4);
    }
}
