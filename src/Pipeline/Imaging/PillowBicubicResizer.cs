using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Fruits.Pipeline.Imaging;

/// <summary>
/// Bit-exact port of Pillow's <c>ImagingResample</c> with BICUBIC for interleaved RGB888, i.e. what
/// <c>Image.resize(size)</c> does in Pillow &gt;= 9. Reuses its weights and scratch between calls;
/// not thread-safe.
/// </summary>
public sealed class PillowBicubicResizer
{
    private const int Channels = 3;
    private const int Half = 1 << (ResampleCoefficients.PrecisionBits - 1);

    private ResampleCoefficients? _horizontal;
    private ResampleCoefficients? _vertical;
    private byte[] _temp = [];

    public void Resize(ReadOnlySpan<byte> sourceRgb, int sourceWidth, int sourceHeight, Span<byte> destinationRgb, int destinationWidth, int destinationHeight)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sourceWidth);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sourceHeight);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(destinationWidth);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(destinationHeight);
        if (sourceRgb.Length < (long)sourceWidth * sourceHeight * Channels)
            throw new ArgumentException("Source is smaller than width * height * 3.", nameof(sourceRgb));
        if (destinationRgb.Length < (long)destinationWidth * destinationHeight * Channels)
            throw new ArgumentException("Destination is smaller than width * height * 3.", nameof(destinationRgb));

        var needHorizontal = sourceWidth != destinationWidth;
        var needVertical = sourceHeight != destinationHeight;
        if (!needHorizontal && !needVertical)
        {
            // Pillow returns a copy for a same-size resize.
            sourceRgb[..(sourceWidth * sourceHeight * Channels)].CopyTo(destinationRgb);
            return;
        }

        var horizontal = needHorizontal ? Coefficients(sourceWidth, destinationWidth) : null;
        var vertical = needVertical ? Coefficients(sourceHeight, destinationHeight) : null;
        _horizontal = horizontal ?? _horizontal;
        _vertical = vertical ?? _vertical;

        if (horizontal is null)
        {
            VerticalPass(sourceRgb, sourceWidth * Channels, destinationRgb, vertical!, rowOffset: 0);
            return;
        }

        if (vertical is null)
        {
            HorizontalPass(sourceRgb, sourceWidth, destinationRgb, destinationWidth, horizontal, firstRow: 0, rows: sourceHeight);
            return;
        }

        // Like Pillow, the horizontal pass only covers the source rows the vertical taps read.
        var firstRow = vertical.Bounds[0];
        var lastRow = vertical.Bounds[destinationHeight * 2 - 2] + vertical.Bounds[destinationHeight * 2 - 1];
        var tempLength = destinationWidth * Channels * (lastRow - firstRow);
        if (_temp.Length < tempLength) _temp = GC.AllocateUninitializedArray<byte>(tempLength);
        var temp = _temp.AsSpan(0, tempLength);
        HorizontalPass(sourceRgb, sourceWidth, temp, destinationWidth, horizontal, firstRow, lastRow - firstRow);
        VerticalPass(temp, destinationWidth * Channels, destinationRgb, vertical, firstRow);
    }

    // Either cached table serves either axis, so square inputs (the common 100x100 case) build one.
    private ResampleCoefficients Coefficients(int inSize, int outSize) =>
        _horizontal is { } h && h.Matches(inSize, outSize) ? h
        : _vertical is { } v && v.Matches(inSize, outSize) ? v
        : new ResampleCoefficients(inSize, outSize);

    private static unsafe void HorizontalPass(ReadOnlySpan<byte> source, int sourceWidth, Span<byte> destination, int destinationWidth, ResampleCoefficients c, int firstRow, int rows)
    {
        var ksize = c.KernelSize;
        var sourceStride = sourceWidth * Channels;
        var destinationStride = destinationWidth * Channels;
        fixed (byte* src = source)
        fixed (byte* dst = destination)
        fixed (int* bounds = c.Bounds)
        fixed (int* weights = c.Weights)
        {
            // The vector path reads 4 bytes per RGB pixel; pixels starting past here use the scalar path.
            var lastSafePixel = src + source.Length - 4;
            for (var y = 0; y < rows; y++)
            {
                var inRow = src + (long)(y + firstRow) * sourceStride;
                var outRow = dst + (long)y * destinationStride;
                for (var xx = 0; xx < destinationWidth; xx++)
                {
                    var xmin = bounds[xx * 2];
                    var count = bounds[xx * 2 + 1];
                    var k = weights + xx * ksize;
                    var p = inRow + xmin * Channels;
                    var o = outRow + xx * Channels;
                    if (Sse41.IsSupported && p + (count - 1) * Channels <= lastSafePixel)
                    {
                        HorizontalPixel(p, k, count, o);
                        continue;
                    }
                    int s0 = Half, s1 = Half, s2 = Half;
                    for (var x = 0; x < count; x++, p += Channels)
                    {
                        var w = k[x];
                        s0 += p[0] * w;
                        s1 += p[1] * w;
                        s2 += p[2] * w;
                    }
                    o[0] = Clip8(s0);
                    o[1] = Clip8(s1);
                    o[2] = Clip8(s2);
                }
            }
        }
    }

    // One output pixel with R, G, B (and an ignored 4th byte) in int32 lanes; same arithmetic as the scalar path.
    private static unsafe void HorizontalPixel(byte* p, int* k, int count, byte* o)
    {
        var acc = Vector128.Create(Half);
        for (var x = 0; x < count; x++, p += Channels)
        {
            acc += Sse41.ConvertToVector128Int32(p) * Vector128.Create(k[x]);
        }
        var v = Vector128.Min(Vector128.Max(Vector128.ShiftRightArithmetic(acc, ResampleCoefficients.PrecisionBits), Vector128<int>.Zero), Vector128.Create(255));
        o[0] = (byte)v.GetElement(0);
        o[1] = (byte)v.GetElement(1);
        o[2] = (byte)v.GetElement(2);
    }

    // The vertical pass treats a row as a flat run of bytes, since every channel uses the same weights.
    private static unsafe void VerticalPass(ReadOnlySpan<byte> source, int rowBytes, Span<byte> destination, ResampleCoefficients c, int rowOffset)
    {
        var ksize = c.KernelSize;
        var vectorEnd = Vector256.IsHardwareAccelerated ? rowBytes - rowBytes % Vector256<byte>.Count : 0;
        fixed (byte* src = source)
        fixed (byte* dst = destination)
        fixed (int* bounds = c.Bounds)
        fixed (int* weights = c.Weights)
        {
            for (var yy = 0; yy < c.OutSize; yy++)
            {
                var ymin = bounds[yy * 2] - rowOffset;
                var count = bounds[yy * 2 + 1];
                var k = weights + yy * ksize;
                var inBase = src + (long)ymin * rowBytes;
                var outRow = dst + (long)yy * rowBytes;
                var i = 0;
                for (; i < vectorEnd; i += Vector256<byte>.Count)
                {
                    VerticalBlock(inBase + i, rowBytes, k, count, outRow + i);
                }
                for (; i < rowBytes; i++)
                {
                    var s = Half;
                    var p = inBase + i;
                    for (var y = 0; y < count; y++, p += rowBytes) s += *p * k[y];
                    outRow[i] = Clip8(s);
                }
            }
        }
    }

    // 32 output bytes at once with the same int32 arithmetic as the scalar path, so results are identical.
    private static unsafe void VerticalBlock(byte* p, int rowBytes, int* k, int count, byte* o)
    {
        var half = Vector256.Create(Half);
        Vector256<int> a0 = half, a1 = half, a2 = half, a3 = half;
        for (var y = 0; y < count; y++, p += rowBytes)
        {
            var w = Vector256.Create(k[y]);
            var (lo, hi) = Vector256.Widen(Vector256.Load(p));
            var (l0, l1) = Vector256.Widen(lo);
            var (h0, h1) = Vector256.Widen(hi);
            a0 += l0.AsInt32() * w;
            a1 += l1.AsInt32() * w;
            a2 += h0.AsInt32() * w;
            a3 += h1.AsInt32() * w;
        }
        Vector256.Store(Vector256.Narrow(Vector256.Narrow(Clip8(a0), Clip8(a1)).AsUInt16(), Vector256.Narrow(Clip8(a2), Clip8(a3)).AsUInt16()), o);
    }

    // clamp(v >> PRECISION_BITS, 0, 255) equals Pillow's clip8 for every int v.
    private static Vector256<int> Clip8(Vector256<int> v) =>
        Vector256.Min(Vector256.Max(Vector256.ShiftRightArithmetic(v, ResampleCoefficients.PrecisionBits), Vector256<int>.Zero), Vector256.Create(255));

    private static byte Clip8(int value)
    {
        if (value >= 1 << ResampleCoefficients.PrecisionBits << 8) return 255;
        if (value <= 0) return 0;
        return (byte)(value >> ResampleCoefficients.PrecisionBits);
    }
}
