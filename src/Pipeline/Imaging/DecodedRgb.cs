namespace Fruits.Pipeline.Imaging;

/// <summary>Interleaved RGB888 pixels, row-major with stride <c>Width * 3</c>; valid until the decoder's next call.</summary>
public readonly ref struct DecodedRgb(ReadOnlySpan<byte> pixels, int width, int height)
{
    public ReadOnlySpan<byte> Pixels { get; } = pixels;
    public int Width { get; } = width;
    public int Height { get; } = height;
}
