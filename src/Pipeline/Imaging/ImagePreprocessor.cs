namespace Fruits.Pipeline.Imaging;

/// <summary>
/// Decode -> RGB -> Pillow-equivalent bicubic resize to 224x224 -> x/127.5 - 1, written as CHW floats.
/// One instance per worker: it owns reusable buffers and is not thread-safe.
/// </summary>
public sealed class ImagePreprocessor
{
    public const int Size = 224;
    public const int TensorLength = 3 * Size * Size;

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

    private unsafe void WritePlanar(Span<float> destinationChw)
    {
        fixed (byte* hwc = _resized)
        fixed (float* scale = _scale)
        fixed (float* chw = destinationChw)
        {
            float* r = chw, g = chw + Plane, b = chw + 2 * Plane;
            var p = hwc;
            for (var i = 0; i < Plane; i++, p += 3)
            {
                r[i] = scale[p[0]];
                g[i] = scale[p[1]];
                b[i] = scale[p[2]];
            }
        }
    }
}
