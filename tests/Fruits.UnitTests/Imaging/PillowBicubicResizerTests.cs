using Fruits.Pipeline.Imaging;
using Xunit.Abstractions;

namespace Fruits.UnitTests.Imaging;

public sealed class PillowBicubicResizerTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("real1")]
    [InlineData("real2")]
    [InlineData("real3")]
    [InlineData("large")]
    [InlineData("gray")]
    [InlineData("cmyk")]
    [InlineData("noise")]
    [InlineData("wide")]
    [InlineData("tall")]
    public void Resize_of_Pillow_decoded_pixels_matches_Pillow_exactly(string stem)
    {
        var (input, width, height) = ImagingFixtures.Rgb($"{stem}.decoded.png");
        var (expected, _, _) = ImagingFixtures.Rgb($"{stem}.resized.png");
        var actual = new byte[224 * 224 * 3];

        new PillowBicubicResizer().Resize(input, width, height, actual, 224, 224);

        var agreement = PixelAgreement.Compare(actual, expected);
        output.WriteLine($"{stem} {width}x{height} resize only: {agreement}");
        // Same integer arithmetic as libImaging/Resample.c, so anything but exact is a porting bug.
        Assert.Equal(0, agreement.MaxDiff);
    }

    [Fact]
    public void Reused_instance_gives_same_result_across_sizes()
    {
        var (small, sw, sh) = ImagingFixtures.Rgb("real1.decoded.png");
        var (large, lw, lh) = ImagingFixtures.Rgb("large.decoded.png");
        var resizer = new PillowBicubicResizer();
        var first = new byte[224 * 224 * 3];
        var again = new byte[224 * 224 * 3];

        resizer.Resize(small, sw, sh, first, 224, 224);
        resizer.Resize(large, lw, lh, again, 224, 224);
        resizer.Resize(small, sw, sh, again, 224, 224);

        Assert.Equal(first, again);
    }

    [Fact]
    public void Same_size_is_a_copy()
    {
        var (expected, _, _) = ImagingFixtures.Rgb("real1.resized.png");
        var actual = new byte[expected.Length];

        new PillowBicubicResizer().Resize(expected, 224, 224, actual, 224, 224);

        Assert.Equal(expected, actual);
    }
}
