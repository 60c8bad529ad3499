using System.Buffers.Binary;
using System.Text;
using Fruits.Pipeline.Imaging;
using Xunit.Abstractions;

namespace Fruits.UnitTests.Imaging;

public sealed class ImageDecoderTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("real1.jpg", "real1", 0.99)]
    [InlineData("real2.jpg", "real2", 0.99)]
    [InlineData("real3.jpg", "real3", 0.99)]
    [InlineData("large.jpg", "large", 0.99)]
    [InlineData("gray.jpg", "gray", 0.99)]
    [InlineData("cmyk.jpg", "cmyk", 0.99)]
    public void Decode_then_resize_is_within_one_level_of_Pillow(string input, string stem, double minWithinOne)
    {
        var decoder = new ImageDecoder(ImageLimits.Default);
        var image = decoder.Decode(ImagingFixtures.Bytes(input));
        var (expectedDecoded, w, h) = ImagingFixtures.Rgb($"{stem}.decoded.png");
        var (expectedResized, _, _) = ImagingFixtures.Rgb($"{stem}.resized.png");
        Assert.Equal((w, h), (image.Width, image.Height));

        var decoded = PixelAgreement.Compare(image.Pixels, expectedDecoded);
        var resized = new byte[224 * 224 * 3];
        new PillowBicubicResizer().Resize(image.Pixels, image.Width, image.Height, resized, 224, 224);
        var full = PixelAgreement.Compare(resized, expectedResized);

        output.WriteLine($"{stem} decode: {decoded}");
        output.WriteLine($"{stem} decode+resize: {full}");
        Assert.True(full.WithinOneFraction >= minWithinOne, $"{stem}: {full}");
    }

    [Fact]
    public void Png_input_decodes_exactly()
    {
        var (expected, w, h) = ImagingFixtures.Rgb("real1.decoded.png");
        var image = new ImageDecoder(ImageLimits.Default).Decode(ImagingFixtures.Bytes("real1.decoded.png"));

        Assert.Equal((100, 100), (image.Width, image.Height));
        Assert.Equal((w, h), (image.Width, image.Height));
        Assert.Equal(expected, image.Pixels.ToArray());
        // Cross-check against the JPEG it came from, so the PNG path is not only compared with itself.
        var fromJpeg = new ImageDecoder(ImageLimits.Default).Decode(ImagingFixtures.Bytes("real1.jpg"));
        Assert.True(PixelAgreement.Compare(fromJpeg.Pixels, image.Pixels).WithinOneFraction >= 0.99);
    }

    [Fact]
    public void Grayscale_jpeg_comes_out_as_equal_rgb_channels()
    {
        var image = new ImageDecoder(ImageLimits.Default).Decode(ImagingFixtures.Bytes("gray.jpg"));
        var px = image.Pixels;
        for (var i = 0; i < px.Length; i += 3)
        {
            Assert.Equal(px[i], px[i + 1]);
            Assert.Equal(px[i], px[i + 2]);
        }
    }

    [Fact]
    public void Zero_bytes_is_rejected()
    {
        AssertRejected([], "empty");
    }

    [Fact]
    public void Text_named_jpg_is_rejected()
    {
        AssertRejected(Encoding.UTF8.GetBytes("this is a text file that someone named apple.jpg\n"), "not a decodable image");
    }

    [Fact]
    public void Truncated_jpeg_is_rejected()
    {
        var jpeg = ImagingFixtures.Bytes("real1.jpg");
        AssertRejected(jpeg.AsSpan(0, jpeg.Length / 2).ToArray(), "truncated");
    }

    [Fact]
    public void Over_byte_limit_is_rejected_before_decoding()
    {
        var jpeg = ImagingFixtures.Bytes("real1.jpg");
        AssertRejected(jpeg, "byte limit", new ImageLimits(MaxBytes: 1000));
    }

    [Fact]
    public void Png_declaring_huge_dimensions_is_rejected_without_allocating_pixels()
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        AssertRejected(HugePng(30000, 30000), "30000x30000 = 900000000 pixels, over the 50000000 limit");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1_000_000);
    }

    [Fact]
    public void Jpeg_declaring_huge_dimensions_is_rejected_without_allocating_pixels()
    {
        var jpeg = ImagingFixtures.Bytes("real1.jpg");
        var sof = FindSof(jpeg);
        BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 5), 30000);
        BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 7), 30000);

        var before = GC.GetAllocatedBytesForCurrentThread();
        AssertRejected(jpeg, "over the 50000000 limit");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1_000_000);
    }

    private void AssertRejected(byte[] bytes, string expectedFragment, ImageLimits? limits = null)
    {
        var decoder = new ImageDecoder(limits ?? ImageLimits.Default);
        var ex = Assert.Throws<ImageDecodeException>(() => decoder.Decode(bytes));
        output.WriteLine(ex.Message);
        Assert.Contains(expectedFragment, ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }

    private static int FindSof(byte[] jpeg)
    {
        for (var i = 2; i + 1 < jpeg.Length; i++)
        {
            if (jpeg[i] == 0xFF && jpeg[i + 1] is 0xC0 or 0xC1 or 0xC2) return i;
        }
        throw new InvalidOperationException("no SOF marker");
    }

    /// <summary>A valid PNG header claiming width x height RGB, with a token IDAT: a decompression-bomb shape.</summary>
    private static byte[] HugePng(int width, int height)
    {
        using var ms = new MemoryStream();
        ms.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 2; // colour type RGB
        WriteChunk(ms, "IHDR", ihdr);
        WriteChunk(ms, "IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
        WriteChunk(ms, "IEND", []);
        return ms.ToArray();
    }

    private static void WriteChunk(Stream s, string type, byte[] data)
    {
        Span<byte> u32 = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(u32, data.Length);
        s.Write(u32);
        var typeAndData = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        s.Write(typeAndData);
        BinaryPrimitives.WriteUInt32BigEndian(u32, Crc32(typeAndData));
        s.Write(u32);
    }

    private static uint Crc32(byte[] bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }
}
