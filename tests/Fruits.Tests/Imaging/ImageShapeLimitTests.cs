using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Fruits.Pipeline.Imaging;

namespace Fruits.Tests.Imaging;

/// <summary>Degenerate shapes are refused from the header, and big legal ones do not leave their scratch behind.</summary>
public sealed class ImageShapeLimitTests
{
    [Fact]
    public void A_one_by_a_million_png_is_refused_from_its_header()
    {
        var png = Png(1, 1_000_000);
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
        var error = Assert.Throws<ImageDecodeException>(() => new ImageDecoder(ImageLimits.Default).Decode(Png(width, height)));
        Assert.Equal($"image is {width}x{height}: {reason}", error.Message);
    }

    [Fact]
    public void Shapes_within_the_limits_decode()
    {
        var image = new ImageDecoder(ImageLimits.Default).Decode(Png(3_200, 100));
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

    /// <summary>A valid 8-bit RGB PNG of the given size, all black: its zlib stream stays tiny whatever the size.</summary>
    internal static byte[] Png(int width, int height)
    {
        using var raw = new MemoryStream();
        using (var zlib = new ZLibStream(raw, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var row = new byte[1 + width * 3]; // filter byte 0 (none), then black pixels
            for (var y = 0; y < height; y++)
            {
                zlib.Write(row);
            }
        }

        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8;
        header[9] = 2;
        WriteChunk(png, "IHDR", header);
        WriteChunk(png, "IDAT", raw.ToArray());
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void WriteChunk(Stream stream, string type, byte[] data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        stream.Write(word);
        var typeAndData = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        stream.Write(typeAndData);
        BinaryPrimitives.WriteUInt32BigEndian(word, System.IO.Hashing.Crc32.HashToUInt32(typeAndData));
        stream.Write(word);
    }
}
