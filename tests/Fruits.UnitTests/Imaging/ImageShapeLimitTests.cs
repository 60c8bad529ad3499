using Fruits.Pipeline.Imaging;

namespace Fruits.UnitTests.Imaging;

/// <summary>Degenerate shapes are refused from the header, and big legal ones do not leave their scratch behind.</summary>
public sealed class ImageShapeLimitTests
{
    [Fact]
    public void A_one_by_a_million_png_is_refused_from_its_header()
    {
        var png = SyntheticPng.Black(1, 1_000_000);
        Assert.True(png.Length < 10_000, $"{png.Length} bytes");

        var before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<ImageDecodeException>(() => new ImagePreprocessor(ImageLimits.Default).Preprocess(png, new float[ImagePreprocessor.TensorLength]));
        Assert.Equal("image is 1x1000000: height 1000000 is over the 16384 limit", error.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1_000_000);
    }

    [Theory]
    [InlineData(20_000, 10, "width 20000 is over the 16384 limit")]
    [InlineData(1, 10_000, "aspect ratio 10000:1 is over the 32:1 limit")]
    [InlineData(3_300, 100, "aspect ratio 33:1 is over the 32:1 limit")]
    public void Wide_tall_and_sliver_shapes_are_refused(int width, int height, string reason)
    {
        var error = Assert.Throws<ImageDecodeException>(() => new ImageDecoder(ImageLimits.Default).Decode(SyntheticPng.Black(width, height)));
        Assert.Equal($"image is {width}x{height}: {reason}", error.Message);
    }

    [Fact]
    public void Shapes_within_the_limits_decode()
    {
        var image = new ImageDecoder(ImageLimits.Default).Decode(SyntheticPng.Black(3_200, 100));
        Assert.Equal((3_200, 100), (image.Width, image.Height));
        Assert.Null(ImageLimits.Default.Check(16_384, 16_384 / 32));
        Assert.NotNull(new ImageLimits(MaxAspectRatio: 2).Check(300, 100));
    }

    [Fact]
    public void The_resizer_keeps_no_scratch_from_a_large_legal_image()
    {
        var resizer = new PillowBicubicResizer();
        var small = Noise(100, 100, seed: 1);
        var expected = new byte[224 * 224 * 3];
        new PillowBicubicResizer().Resize(small, 100, 100, expected, 224, 224);
        var output = new byte[224 * 224 * 3];

        resizer.Resize(small, 100, 100, output, 224, 224);
        var retainedForSmall = resizer.RetainedBytes;
        Assert.InRange(retainedForSmall, 1, PillowBicubicResizer.MaxRetainedBytes);

        // 300 x 9,000 is within every limit; its intermediate rows alone are 224 x 3 x 9,000 = 6 MB.
        var tall = Noise(300, 9_000, seed: 2);
        resizer.Resize(tall, 300, 9_000, output, 224, 224);
        Assert.InRange(resizer.RetainedBytes, 1, PillowBicubicResizer.MaxRetainedBytes);

        resizer.Resize(small, 100, 100, output, 224, 224);
        Assert.Equal(expected, output);
        Assert.Equal(retainedForSmall, resizer.RetainedBytes);
    }

    private static byte[] Noise(int width, int height, int seed)
    {
        var pixels = new byte[width * height * 3];
        new Random(seed).NextBytes(pixels);
        return pixels;
    }
}
