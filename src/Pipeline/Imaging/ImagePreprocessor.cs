using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Fruits.Pipeline.Imaging;

/// <summary>
/// Decode -> RGB -> Pillow-equivalent bicubic resize to 224x224 -> x/127.5 - 1, written as CHW floats.
/// One instance per worker: it owns reusable buffers and is not thread-safe.
/// </summary>
public sealed class ImagePreprocessor
{
    public const int Size = 224;
    public const int TensorLength = 3 * Size * Size;

    /// <summary>
    /// Part of the feature store's key: raise it whenever an image's tensor changes (decoding, resizing, scaling), so
    /// features made by the older preprocessing are never reused.
    /// </summary>
    public const int Version = 1;

    private const int Plane = Size * Size;

    private readonly ImageDecoder _decoder;
    private readonly PillowBicubicResizer _resizer = new();
    private readonly byte[] _resized = new byte[TensorLength];
    private readonly float[] _scale = new float[256];

    public ImagePreprocessor(ImageLimits limits)
    {
        Limits = limits;
        _decoder = new ImageDecoder(limits);
        for (var v = 0; v < 256; v++)
        {
            // Keras mobilenet_v2.preprocess_input ('tf' mode) on a float32 array: x /= 127.5; x -= 1, each step rounded to float32.
            _scale[v] = (float)v / 127.5f - 1f;
        }
    }

    public ImageLimits Limits { get; }

    /// <summary>Fills <paramref name="destinationChw"/> (length <see cref="TensorLength"/>).</summary>
    /// <exception cref="ImageDecodeException">The bytes are not a usable image; the message is one readable line.</exception>
    public void Preprocess(ReadOnlySpan<byte> encoded, Span<float> destinationChw)
    {
        if (destinationChw.Length < TensorLength)
            throw new ArgumentException($"Destination must hold {TensorLength} floats.", nameof(destinationChw));

        var image = _decoder.Decode(encoded);
        _resizer.Resize(image.Pixels, image.Width, image.Height, _resized, Size, Size);

        WritePlanar(destinationChw);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe void WritePlanar(Span<float> destinationChw)
    {
        fixed (byte* hwc = _resized)
        fixed (float* scale = _scale)
        fixed (float* chw = destinationChw)
        {
            float* r = chw, g = chw + Plane, b = chw + 2 * Plane;
            var i = 0;
            if (Avx2.IsSupported)
            {
                // 16 pixels (48 bytes, three vectors) at a time; each channel gathers its 16 bytes with one
                // shuffle per source vector (0x80 selects zero) and ORs them together.
                var r0 = Vector128.Create(0, 3, 6, 9, 12, 15, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, (byte)0x80);
                var r1 = Vector128.Create(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 2, 5, 8, 11, 14, 0x80, 0x80, 0x80, 0x80, (byte)0x80);
                var r2 = Vector128.Create(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 1, 4, 7, 10, (byte)13);
                var g0 = Vector128.Create(1, 4, 7, 10, 13, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, (byte)0x80);
                var g1 = Vector128.Create(0x80, 0x80, 0x80, 0x80, 0x80, 0, 3, 6, 9, 12, 15, 0x80, 0x80, 0x80, 0x80, (byte)0x80);
                var g2 = Vector128.Create(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 2, 5, 8, 11, (byte)14);
                var b0 = Vector128.Create(2, 5, 8, 11, 14, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, (byte)0x80);
                var b1 = Vector128.Create(0x80, 0x80, 0x80, 0x80, 0x80, 1, 4, 7, 10, 13, 0x80, 0x80, 0x80, 0x80, 0x80, (byte)0x80);
                var b2 = Vector128.Create(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0, 3, 6, 9, 12, (byte)15);
                for (; i + 16 <= Plane; i += 16)
                {
                    var p = hwc + i * 3;
                    var x0 = Vector128.Load(p);
                    var x1 = Vector128.Load(p + 16);
                    var x2 = Vector128.Load(p + 32);
                    Scale16(Ssse3.Shuffle(x0, r0) | Ssse3.Shuffle(x1, r1) | Ssse3.Shuffle(x2, r2), r + i);
                    Scale16(Ssse3.Shuffle(x0, g0) | Ssse3.Shuffle(x1, g1) | Ssse3.Shuffle(x2, g2), g + i);
                    Scale16(Ssse3.Shuffle(x0, b0) | Ssse3.Shuffle(x1, b1) | Ssse3.Shuffle(x2, b2), b + i);
                }
            }

            for (var p = hwc + i * 3; i < Plane; i++, p += 3)
            {
                r[i] = scale[p[0]];
                g[i] = scale[p[1]];
                b[i] = scale[p[2]];
            }
        }
    }

    // The same two float32 steps as the table (x / 127.5, then - 1), so the values are identical.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Scale16(Vector128<byte> values, float* destination)
    {
        var divisor = Vector256.Create(127.5f);
        var one = Vector256.Create(1f);
        var low = Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(values));
        var high = Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(Sse2.ShiftRightLogical128BitLane(values, 8)));
        (low / divisor - one).Store(destination);
        (high / divisor - one).Store(destination + 8);
    }
}
