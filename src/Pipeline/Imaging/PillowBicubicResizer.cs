using System.Runtime.CompilerServices;
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

    /// <summary>
    /// Scratch and weight tables up to this size are kept for the next image; larger ones serve their one image
    /// and are dropped, so one huge or very tall input does not pin its memory to a worker for its lifetime.
    /// 4 MB keeps the intermediate rows of sources up to about 6,000 rows tall.
    /// </summary>
    public const int MaxRetainedBytes = 4 * 1024 * 1024;

    private ResampleCoefficients? _horizontal;
    private ResampleCoefficients? _vertical;
    private byte[] _temp = [];

    /// <summary>Memory this instance keeps between calls: the intermediate-row scratch and the cached weight tables.</summary>
    public long RetainedBytes =>
        _temp.Length + (_horizontal?.ByteSize ?? 0) + (_vertical is { } v && !ReferenceEquals(v, _horizontal) ? v.ByteSize : 0);

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
        if (horizontal is not null && horizontal.ByteSize <= MaxRetainedBytes) _horizontal = horizontal;
        if (vertical is not null && vertical.ByteSize <= MaxRetainedBytes) _vertical = vertical;

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
        var scratch = _temp;
        if (scratch.Length < tempLength)
        {
            scratch = GC.AllocateUninitializedArray<byte>(tempLength);
            if (tempLength <= MaxRetainedBytes) _temp = scratch;
        }

        var temp = scratch.AsSpan(0, tempLength);
        HorizontalPass(sourceRgb, sourceWidth, temp, destinationWidth, horizontal, firstRow, lastRow - firstRow);
        VerticalPass(temp, destinationWidth * Channels, destinationRgb, vertical, firstRow);
    }

    // Either cached table serves either axis, so square inputs (the common 100x100 case) build one.
    private ResampleCoefficients Coefficients(int inSize, int outSize) =>
        _horizontal is { } h && h.Matches(inSize, outSize) ? h
        : _vertical is { } v && v.Matches(inSize, outSize) ? v
        : new ResampleCoefficients(inSize, outSize);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void HorizontalPass(ReadOnlySpan<byte> source, int sourceWidth, Span<byte> destination, int destinationWidth, ResampleCoefficients c, int firstRow, int rows)
    {
        var ksize = c.KernelSize;
        var sourceStride = sourceWidth * Channels;
        var destinationStride = destinationWidth * Channels;
        fixed (byte* src = source)
        fixed (byte* dst = destination)
        fixed (int* bounds = c.Bounds)
        fixed (int* weights = c.Weights)
        fixed (int* pairWeights = c.PairWeights)
        {
            // The vector paths read 4 (one pixel) or 8 (two adjacent pixels) bytes per tap; a column whose
            // taps would cross the source's end in its last row takes the one-pixel path.
            var lastSafePixel = src + source.Length - 4;
            var lastSafePair = src + source.Length - 8;
            var inFirst = src + (long)firstRow * sourceStride;
            var inLast = inFirst + (long)(rows - 1) * sourceStride;
            var xx = 0;
            if (Avx2.IsSupported && rows > 0)
            {
                var sameStart = Vector256.Create(0, 1, 2, 3, 0, 1, 2, 3);
                var nextStart = Vector256.Create(0, 1, 2, 3, 3, 4, 5, 6);

                // Column pairs outermost: a pair's bounds, weights and path are worked out once for all rows.
                for (; xx + 1 < destinationWidth; xx += 2)
                {
                    var x0 = bounds[xx * 2] * Channels;
                    var x1 = bounds[xx * 2 + 2] * Channels;
                    var count = Math.Max(bounds[xx * 2 + 1], bounds[xx * 2 + 3]);
                    var k = pairWeights + xx / 2 * ksize * 8;

                    // A pixel is stored as 4 bytes; the spare one lands on pixel xx + 2, which a later pair
                    // overwrites, except at the row's end, where it would land on the next row.
                    var spareFree = xx + 2 < destinationWidth;
                    var o = dst + xx * Channels;
                    if ((x1 - x0 == 0 || x1 - x0 == Channels) && inLast + x0 + (count - 1) * Channels <= lastSafePair)
                    {
                        // Upscaling: the pair's taps start at the same or the next source pixel, so one
                        // 8-byte load per tap covers both and a permute puts each pixel in its lanes.
                        var lanes = x1 == x0 ? sameStart : nextStart;
                        for (var p = inFirst + x0; p <= inLast + x0; p += sourceStride, o += destinationStride)
                        {
                            StorePair(AdjacentPairSum(p, lanes, k, count), o, spareFree);
                        }
                    }
                    else if (inLast + x1 + (count - 1) * Channels <= lastSafePixel)
                    {
                        for (var p = inFirst; p <= inLast; p += sourceStride, o += destinationStride)
                        {
                            StorePair(PairSum(p + x0, p + x1, k, count), o, spareFree);
                        }
                    }
                    else
                    {
                        break;
                    }
                }
            }

            for (; xx < destinationWidth; xx++)
            {
                var o = dst + xx * Channels;
                for (var p = inFirst + bounds[xx * 2] * Channels; p <= inLast + bounds[xx * 2] * Channels; p += sourceStride, o += destinationStride)
                {
                    HorizontalOne(p, weights + xx * ksize, bounds[xx * 2 + 1], o, lastSafePixel);
                }
            }
        }
    }

    // Two output pixels per vector: lanes 0-3 hold pixel xx's R, G, B and a spare byte, lanes 4-7 pixel xx + 1's.
    // The shorter of the two tap runs reads past its count with weight zero, which adds nothing.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<int> PairSum(byte* p0, byte* p1, int* k, int count)
    {
        var acc = Vector256.Create(Half);
        for (var x = 0; x < count; x++, p0 += Channels, p1 += Channels, k += 8)
        {
            var pixels = Avx2.ConvertToVector256Int32(Vector128.Create(Unsafe.ReadUnaligned<uint>(p0), Unsafe.ReadUnaligned<uint>(p1), 0u, 0u).AsByte());
            acc += pixels * Vector256.Load(k);
        }
        return acc;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<int> AdjacentPairSum(byte* p, Vector256<int> lanes, int* k, int count)
    {
        var acc = Vector256.Create(Half);
        for (var x = 0; x < count; x++, p += Channels, k += 8)
        {
            acc += Avx2.PermuteVar8x32(Avx2.ConvertToVector256Int32(p), lanes) * Vector256.Load(k);
        }
        return acc;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StorePair(Vector256<int> acc, byte* o, bool spareFree)
    {
        var bytes = PackToBytes(acc);
        Unsafe.WriteUnaligned(o, bytes.GetElement(0));
        var second = bytes.GetElement(4);
        if (spareFree)
        {
            Unsafe.WriteUnaligned(o + Channels, second);
        }
        else
        {
            Unsafe.WriteUnaligned(o + Channels, (ushort)second);
            o[Channels + 2] = (byte)(second >> 16);
        }
    }

    private static unsafe void HorizontalOne(byte* p, int* k, int count, byte* o, byte* lastSafePixel)
    {
        if (Sse41.IsSupported && p + (count - 1) * Channels <= lastSafePixel)
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
            return;
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

    // The vertical pass treats a row as a flat run of bytes, since every channel uses the same weights.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void VerticalPass(ReadOnlySpan<byte> source, int rowBytes, Span<byte> destination, ResampleCoefficients c, int rowOffset)
    {
        var ksize = c.KernelSize;
        var vectorEnd = Avx2.IsSupported ? rowBytes - rowBytes % Vector256<byte>.Count : 0;
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
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void VerticalBlock(byte* p, int rowBytes, int* k, int count, byte* o)
    {
        var half = Vector256.Create(Half);
        Vector256<int> a0 = half, a1 = half, a2 = half, a3 = half;
        for (var y = 0; y < count; y++, p += rowBytes)
        {
            var w = Vector256.Create(k[y]);
            a0 += Avx2.ConvertToVector256Int32(p) * w;
            a1 += Avx2.ConvertToVector256Int32(p + 8) * w;
            a2 += Avx2.ConvertToVector256Int32(p + 16) * w;
            a3 += Avx2.ConvertToVector256Int32(p + 24) * w;
        }

        // The packs work within 128-bit lanes, leaving 4-byte groups in the order a0 a1 a2 a3 | a0' a1' a2' a3'.
        const byte shift = ResampleCoefficients.PrecisionBits;
        var bytes = Avx2.PackUnsignedSaturate(
            Avx2.PackSignedSaturate(Avx2.ShiftRightArithmetic(a0, shift), Avx2.ShiftRightArithmetic(a1, shift)),
            Avx2.PackSignedSaturate(Avx2.ShiftRightArithmetic(a2, shift), Avx2.ShiftRightArithmetic(a3, shift)));
        Vector256.Store(Avx2.PermuteVar8x32(bytes.AsInt32(), Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7)).AsByte(), o);
    }

    // (v >> PRECISION_BITS) packed to bytes with saturation at each step is clamp(v >> PRECISION_BITS, 0, 255),
    // Pillow's clip8, for every int v. Element 0 holds the low 128-bit lane's four bytes, element 4 the high lane's.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> PackToBytes(Vector256<int> acc)
    {
        var shorts = Avx2.PackSignedSaturate(Avx2.ShiftRightArithmetic(acc, (byte)ResampleCoefficients.PrecisionBits), Vector256<int>.Zero);
        return Avx2.PackUnsignedSaturate(shorts, Vector256<short>.Zero).AsUInt32();
    }

    private static byte Clip8(int value)
    {
        if (value >= 1 << ResampleCoefficients.PrecisionBits << 8) return 255;
        if (value <= 0) return 0;
        return (byte)(value >> ResampleCoefficients.PrecisionBits);
    }
}
