using System.Buffers.Binary;
using Fruits.Grains;
using Fruits.Pipeline.Statistics;
using Fruits.Pipeline.Storage;
using Fruits.Tests.EndToEnd;
using SkiaSharp;

namespace Fruits.Tests.Reliability;

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
        };
        File.WriteAllBytes(Path.Combine(bad, "zero.jpg"), []);
        File.WriteAllText(Path.Combine(bad, "text.jpg"), "just some text, not a photo");
        File.WriteAllText(Path.Combine(bad, "page.jpeg"), "<!doctype html><html><body>404</body></html>");
        File.WriteAllBytes(Path.Combine(bad, "truncated.jpg"), realBytes[..(realBytes.Length / 2)]);
        File.WriteAllBytes(Path.Combine(bad, "bomb.jpg"), WithDeclaredSize(realBytes, 30000, 30000));
        File.CreateSymbolicLink(Path.Combine(bad, "dangling.jpg"), Path.Combine(bad, "no-such-target.jpg"));
        Directory.CreateDirectory(Path.Combine(bad, "folder.jpg", "inner")); // a folder named like an image: listed as a folder, not a file

        // Good but unusual: decoded like Pillow would.
        File.WriteAllBytes(Path.Combine(odd, "a png named.jpg"), Encode(realBytes, SKEncodedImageFormat.Png));
        File.WriteAllBytes(Path.Combine(odd, "webp ünïcode 'quoted' \"name\".jpg"), Encode(realBytes, SKEncodedImageFormat.Webp));
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Fixtures", "resize", "gray.jpg"), Path.Combine(odd, "gray.jpg"));
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Fixtures", "resize", "cmyk.jpg"), Path.Combine(odd, "cmyk.JPG"));
        File.WriteAllText(Path.Combine(odd, "notes.txt"), "not an image name: never listed");
        // A symlink loop back to the input root must neither hang the listing nor duplicate images.
        Directory.CreateSymbolicLink(Path.Combine(odd, "loop"), input);

        var spec = new JobSpec(StorageLocation.Parse(input), StorageLocation.Parse(_temp.Combine("output")), new PcaSelection(0.75), BatchSize: 8);
        var status = await fixture.RunJobAsync("bad-inputs", spec, TimeSpan.FromMinutes(5));

        Assert.True(status.Phase == JobPhase.Completed, $"ended {status.Phase}: {status.Error}");
        const int good = 24 + 4;
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
        Assert.Equal(4, db.Scalar<int>($"SELECT count(*) FROM read_parquet({parts}) WHERE label = 'Odd names'"));
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

    private static byte[] Encode(byte[] jpeg, SKEncodedImageFormat format)
    {
        using var bitmap = SKBitmap.Decode(jpeg);
        using var data = bitmap.Encode(format, 100);
        return data.ToArray();
    }

    public void Dispose() => _temp.Dispose();
}
