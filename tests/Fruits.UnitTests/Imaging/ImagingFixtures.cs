using Fruits.Pipeline.Imaging;

namespace Fruits.UnitTests.Imaging;

/// <summary>Loads the committed Pillow references (see Fixtures/resize/README.md).</summary>
internal static class ImagingFixtures
{
    public static string Root { get; } = Path.Combine(AppContext.BaseDirectory, "Fixtures", "resize");

    public static byte[] Bytes(string name) => File.ReadAllBytes(Path.Combine(Root, name));

    /// <summary>Reference PNGs are lossless 8-bit RGB without gamma/ICC chunks, so Skia reproduces Pillow's bytes.</summary>
    public static (byte[] Rgb, int Width, int Height) Rgb(string name)
    {
        var image = new ImageDecoder(ImageLimits.Default).Decode(Bytes(name));
        return (image.Pixels.ToArray(), image.Width, image.Height);
    }
}
