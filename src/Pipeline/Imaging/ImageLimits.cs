namespace Fruits.Pipeline.Imaging;

/// <summary>
/// Guards against decompression bombs, huge files and degenerate shapes, all checked on the file's size or the
/// image header before anything large is allocated.
/// </summary>
/// <remarks>
/// What one featurizer slot can hold for a single image at the defaults, whatever the image's shape:
/// decoding takes 7 bytes per pixel (RGBA from the codec plus the packed RGB), at most 350 MB at 50,000,000 pixels;
/// the resizer's intermediate rows take 224 x 3 bytes per source row, at most 11 MB at a height of 16,384, and its
/// weight tables at most about 3 MB; the encoded bytes are at most <see cref="MaxBytes"/> (64 MB) per image read,
/// times the images kept in flight ahead (Fruits:Featurizer:ReadAhead). So a slot peaks at about 365 MB plus
/// (ReadAhead + 1) x 64 MB, and keeps at most about 70 MB between images: decoder buffers over 32 MB each and
/// resizer scratch over 4 MB are dropped after the image that needed them. Before the width, height and aspect
/// caps, a 4 KB PNG of 1 x 1,000,000 pixels passed the pixel limit and made the resizer allocate and keep 672 MB.
/// </remarks>
/// <param name="MaxAspectRatio">Longer side over shorter side: a 1-pixel sliver stretched to 224 x 224 carries no picture.</param>
public sealed record ImageLimits(
    long MaxPixels = 50_000_000,
    long MaxBytes = 64L * 1024 * 1024,
    int MaxWidth = 16_384,
    int MaxHeight = 16_384,
    double MaxAspectRatio = 32)
{
    public static ImageLimits Default { get; } = new();

    /// <summary>Why an image of this declared size is refused, in one line; null when it is within every limit.</summary>
    public string? Check(int width, int height)
    {
        if (width <= 0 || height <= 0)
        {
            return $"image has invalid dimensions {width}x{height}";
        }

        var pixels = (long)width * height;
        if (pixels > MaxPixels)
        {
            return $"image is {width}x{height} = {pixels} pixels, over the {MaxPixels} limit";
        }

        if (width > MaxWidth)
        {
            return $"image is {width}x{height}: width {width} is over the {MaxWidth} limit";
        }

        if (height > MaxHeight)
        {
            return $"image is {width}x{height}: height {height} is over the {MaxHeight} limit";
        }

        var ratio = (double)Math.Max(width, height) / Math.Min(width, height);
        if (ratio > MaxAspectRatio)
        {
            return $"image is {width}x{height}: aspect ratio {ratio:0.#}:1 is over the {MaxAspectRatio:0.#}:1 limit";
        }

        return null;
    }
}
