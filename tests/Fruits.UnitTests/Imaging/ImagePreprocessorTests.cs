using Fruits.Pipeline.Imaging;
using SkiaSharp;

namespace Fruits.UnitTests.Imaging;

public sealed class ImagePreprocessorTests
{
    [Fact]
    public void Writes_planar_rgb_scaled_to_minus_one_one()
    {
        // 224x224 input skips resampling (Pillow copies), so one marked pixel lands unchanged.
        using var bitmap = new SKBitmap(new SKImageInfo(224, 224, SKColorType.Rgba8888, SKAlphaType.Opaque));
        bitmap.Erase(new SKColor(0, 0, 0));
        bitmap.SetPixel(5, 7, new SKColor(255, 0, 128));
        using var png = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        var tensor = new float[ImagePreprocessor.TensorLength];

        new ImagePreprocessor(ImageLimits.Default).Preprocess(png.AsSpan(), tensor);

        const int plane = 224 * 224;
        var at = 7 * 224 + 5;
        Assert.Equal(1f, tensor[at]);
        Assert.Equal(-1f, tensor[plane + at]);
        Assert.Equal(128f / 127.5f - 1f, tensor[2 * plane + at]);
        Assert.Equal(-1f, tensor[at + 1]);
    }

    [Fact]
    public void Real_image_values_stay_in_range_and_match_resized_bytes()
    {
        var jpeg = ImagingFixtures.Bytes("real2.jpg");
        var preprocessor = new ImagePreprocessor(ImageLimits.Default);
        var tensor = new float[ImagePreprocessor.TensorLength];
        preprocessor.Preprocess(jpeg, tensor);

        Assert.All(tensor, v => Assert.InRange(v, -1f, 1f));
        var image = new ImageDecoder(ImageLimits.Default).Decode(jpeg);
        var resized = new byte[224 * 224 * 3];
        new PillowBicubicResizer().Resize(image.Pixels, image.Width, image.Height, resized, 224, 224);
        for (var c = 0; c < 3; c++)
        {
            for (var i = 0; i < 224 * 224; i += 97)
            {
                Assert.Equal(resized[i * 3 + c] / 127.5f - 1f, tensor[c * 224 * 224 + i]);
            }
        }
    }

    [Fact]
    public void Rejects_bad_input_with_decode_exception()
    {
        var tensor = new float[ImagePreprocessor.TensorLength];
        Assert.Throws<ImageDecodeException>(() => new ImagePreprocessor(ImageLimits.Default).Preprocess([], tensor));
    }
}
