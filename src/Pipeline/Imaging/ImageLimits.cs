namespace Fruits.Pipeline.Imaging;

/// <summary>Guards against decompression bombs and huge files before anything large is allocated.</summary>
public sealed record ImageLimits(long MaxPixels = 50_000_000, long MaxBytes = 64L * 1024 * 1024)
{
    public static ImageLimits Default { get; } = new();
}
