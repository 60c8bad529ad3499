using System.Buffers.Binary;
using Fruits.Grains;
using Fruits.Grains.Interfaces;
using Fruits.Pipeline.Statistics;
using Fruits.Pipeline.Storage;
using Fruits.IntegrationTests.EndToEnd;
using SkiaSharp;

namespace Fruits.IntegrationTests.Reliability;

/// <summary>Broken files among good ones: each is recorded with a reason, the job finishes, nothing else is lost.</summary>
[Collection(TwoSiloCollection.Name)]
public sealed class BadInputJobTests(TwoSiloClusterFixture fixture) : IDisposable
{
    private readonly TempDirectory _temp = new();

    [Fact]
    public async Task Every_bad_file_is_recorded_and_every_good_one_is_featurized_once()
    {
        var input = ImageSubset.CopyTo(_temp.Combine("input"), labels: 2, perLabel: 12);
        var real = Directory.GetFiles(input, "*.jpg", SearchOption.AllDirectories).Order(StringComparer.Ordinal).First();
        var realBytes = File.ReadAllBytes(real);
        var bad = Directory.CreateDirectory(Path.Combine(input, "Bad")).FullName;
        var odd = Directory.CreateDirectory(Path.Combine(input, "Odd names")).FullName;

        // Bad: each must end up in errors.parquet.
        var expectedErrors = new Dictionary<string, string>
        {
            ["zero.jpg"] = "empty",
            ["text.jpg"] = "not a decodable image",
            ["page.jpeg"] = "not a decodable image",
            ["truncated.jpg"] = "truncated",
            ["bomb.jpg"] = "over the 50000000 limit",
            ["dangling.jpg"] = "not found",
            ["folder.jpg"] = "",
            ["huge.jpg"] = "over the 67108864-byte limit",
            ["pipe.jpg"] = "not a regular file (fifo)",
            ["socket.jpg"] = "not a regular file (socket)",
            ["device.jpg"] = "not a regular file (character device)",
            ["sliver.jpg"] = "image is 1x1000000: height 1000000 is over the 16384 limit",
        };
        File.WriteAllBytes(Path.Combine(bad, "zero.jpg"), []);
        File.WriteAllText(Path.Combine(bad, "text.jpg"), "just some text, not a photo");
        File.WriteAllText(Path.Combine(bad, "page.jpeg"), "<!doctype html><html><body>404</body></html>");
        File.WriteAllBytes(Path.Combine(bad, "truncated.jpg"), realBytes[..(realBytes.Length / 2)]);
        File.WriteAllBytes(Path.Combine(bad, "bomb.jpg"), WithDeclaredSize(realBytes, 30000, 30000));
        File.CreateSymbolicLink(Path.Combine(bad, "dangling.jpg"), Path.Combine(bad, "no-such-target.jpg"));
        Directory.CreateDirectory(Path.Combine(bad, "folder.jpg", "inner")); // a folder named like an image: listed as a folder, not a file
        using (var huge = File.Create(Path.Combine(bad, "huge.jpg")))
        {
            huge.SetLength(65L * 1024 * 1024); // sparse: over the 64 MiB default limit without using the disk
        }

        // Inputs that could hang or bloat a worker: a FIFO (opening it would block), a socket, a device, a sliver PNG.
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [Path.Combine(bad, "pipe.jpg")]))
        {
            await mkfifo.WaitForExitAsync();
        }

        // Kept open for the job: disposing the socket removes its file.
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        socket.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(Path.Combine(bad, "socket.jpg")));

        File.CreateSymbolicLink(Path.Combine(bad, "device.jpg"), "/dev/zero");
        File.WriteAllBytes(Path.Combine(bad, "sliver.jpg"), SyntheticPng.Black(1, 1_000_000));

        // Good but unusual: decoded like Pillow would.
        File.WriteAllBytes(Path.Combine(odd, "a png named.jpg"), Encode(realBytes, SKEncodedImageFormat.Png));
        File.WriteAllBytes(Path.Combine(odd, "webp ünïcode 'quoted' \"name\".jpg"), Encode(realBytes, SKEncodedImageFormat.Webp));
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Fixtures", "resize", "gray.jpg"), Path.Combine(odd, "gray.jpg"));
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Fixtures", "resize", "cmyk.jpg"), Path.Combine(odd, "cmyk.JPG"));
        File.WriteAllBytes(Path.Combine(odd, "sixteen-bit.jpg"), SixteenBitPng(realBytes));
        File.WriteAllBytes(Path.Combine(odd, "with-alpha.jpg"), Reencode(realBytes, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        File.WriteAllText(Path.Combine(odd, "notes.txt"), "not an image name: never listed");
        // A symlink loop back to the input root must neither hang the listing nor duplicate images.
        Directory.CreateSymbolicLink(Path.Combine(odd, "loop"), input);

        var spec = new JobSpec(StorageLocation.Parse(input).ToContract(), StorageLocation.Parse(_temp.Combine("output")).ToContract(), new PcaSelectionData(0.75), BatchSize: 8);
        var status = await fixture.RunJobAsync("bad-inputs", spec, TimeSpan.FromMinutes(5));

        Assert.True(status.Phase == JobPhase.Completed, $"ended {status.Phase}: {status.Error}");
        const int good = 24 + 6;
        var errorsExpected = expectedErrors.Count - 1; // folder.jpg is a folder: not an image file at all
        Assert.Equal(good, status.Summary!.ImagesSucceeded);
        Assert.Equal(errorsExpected, status.Summary.ImagesFailed);
        Assert.Equal(good + errorsExpected, status.Summary.ImagesFound);

        using var db = new DuckDb();
        var errors = db.Rows($"SELECT path, reason FROM read_parquet({DuckDb.Quote(_temp.Combine("output/errors.parquet"))}) ORDER BY path")
            .ToDictionary(r => Path.GetFileName((string)r[0]!), r => (string)r[1]!);
        foreach (var (name, fragment) in expectedErrors.Where(e => e.Key != "folder.jpg"))
        {
            Assert.True(errors.TryGetValue(name, out var reason), $"{name} missing from errors.parquet");
            Assert.Contains(fragment, reason);
            Assert.DoesNotContain('\n', reason);
        }

        var parts = DuckDb.Quote(_temp.Combine("output/part-*.parquet"));
        Assert.Equal(good, db.Scalar<int>($"SELECT count(DISTINCT path) FROM read_parquet({parts})"));
        Assert.Equal(good, db.Scalar<int>($"SELECT count(*) FROM read_parquet({parts})"));
        Assert.Equal(6, db.Scalar<int>($"SELECT count(*) FROM read_parquet({parts}) WHERE label = 'Odd names'"));
        Assert.Equal(1, db.Scalar<int>($"SELECT count(*) FROM read_parquet({parts}) WHERE path LIKE '%ünïcode ''quoted'' \"name\".jpg'"));
    }

    /// <summary>The same JPEG with its frame header claiming other dimensions: a decompression-bomb shape.</summary>
    private static byte[] WithDeclaredSize(byte[] jpeg, int width, int height)
    {
        var copy = (byte[])jpeg.Clone();
        for (var i = 2; i + 8 < copy.Length; i++)
        {
            if (copy[i] == 0xFF && copy[i + 1] is 0xC0 or 0xC1 or 0xC2)
            {
                BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(i + 5), (ushort)height);
                BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(i + 7), (ushort)width);
                return copy;
            }
        }

        throw new InvalidOperationException("no JPEG frame header");
    }

    /// <summary>
    /// The image as a 16-bit-per-channel RGB PNG, written by hand: Skia decodes such files but does not
    /// encode them, and the format is small enough to write exactly.
    /// </summary>
    private static byte[] SixteenBitPng(byte[] jpeg)
    {
        using var source = SKBitmap.Decode(jpeg);
        using var raw = new MemoryStream();
        for (var y = 0; y < source.Height; y++)
        {
            raw.WriteByte(0); // filter: none
            for (var x = 0; x < source.Width; x++)
            {
                var c = source.GetPixel(x, y);
                foreach (var v in new[] { c.Red, c.Green, c.Blue })
                {
                    raw.WriteByte(v); // 16-bit big-endian sample v * 257
                    raw.WriteByte(v);
                }
            }
        }

        using var compressed = new MemoryStream();
        using (var zlib = new System.IO.Compression.ZLibStream(compressed, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true))
        {
            raw.Position = 0;
            raw.CopyTo(zlib);
        }

        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, source.Width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), source.Height);
        header[8] = 16; // bit depth
        header[9] = 2; // RGB
        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        Chunk(png, "IHDR", header);
        Chunk(png, "IDAT", compressed.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream png, string type, byte[] data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        png.Write(word);
        var typed = System.Text.Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        png.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32(typed));
        png.Write(word);
    }

    private static uint Crc32(byte[] data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var i = 0; i < 8; i++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }

        return ~crc;
    }

    /// <summary>The image as a PNG of another pixel layout (here: with an alpha channel), named .jpg.</summary>
    private static byte[] Reencode(byte[] jpeg, SKColorType colorType, SKAlphaType alphaType)
    {
        using var source = SKBitmap.Decode(jpeg);
        using var target = new SKBitmap(new SKImageInfo(source.Width, source.Height, colorType, alphaType));
        Assert.True(source.CopyTo(target, colorType));
        using var data = target.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    private static byte[] Encode(byte[] jpeg, SKEncodedImageFormat format)
    {
        using var bitmap = SKBitmap.Decode(jpeg);
        using var data = bitmap.Encode(format, 100);
        return data.ToArray();
    }

    public void Dispose() => _temp.Dispose();
}
