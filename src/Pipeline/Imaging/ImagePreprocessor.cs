namespace Fruits.Pipeline.Imaging;

/// <summary>
/// Decode -> RGB -> Pillow-equivalent bicubic resize to 224x224 -> x/127.5 - 1, written as CHW floats.
/// One instance per worker: it owns reusable buffers and is not thread-safe.
/// </summary>
public sealed class ImagePreprocessor
{
    public const int Size = 224;
    public const int TensorLength = 3 * Size * Size;

    public ImagePreprocessor(ImageLimits limits) => Limits = limits;

    public ImageLimits Limits { get; }

    /// <summary>Fills <paramref name="destinationChw"/> (length <see cref="TensorLength"/>).</summary>
    /// <exception cref="ImageDecodeException">The bytes are not a usable image; the message is one readable line.</exception>
    public void Preprocess(ReadOnlySpan<byte> encoded, Span<float> destinationChw) => throw new NotImplementedException();
}
