using Fruits.Grains;
using Fruits.Pipeline.Listing;
using Fruits.Pipeline.Output;
using Fruits.Pipeline.Reuse;
using Fruits.Pipeline.Storage;

namespace Fruits.UnitTests.Listing;

/// <summary>
/// The listing writes its batch manifests a group at a time; every one must be in place when it returns, and one
/// already stored as the listing finds it is left alone.
/// </summary>
public sealed class JobOutputListingTests : IDisposable
{
    private readonly TempDirectory _temp = new("fruits-listing");

    [Fact]
    public async Task Every_batch_manifest_is_written_in_listing_order_before_the_listing_returns()
    {
        var input = _temp.Combine("input");
        for (var label = 0; label < 5; label++)
        {
            Directory.CreateDirectory(Path.Combine(input, $"Fruit {label}"));
            for (var i = 0; i < 41; i++)
            {
                await File.WriteAllBytesAsync(Path.Combine(input, $"Fruit {label}", $"img_{i:D3}.jpg"), [(byte)label, (byte)i]);
            }
        }

        var output = new LocalObjectStore(_temp.Combine("output"));
        var inputStore = new LocalObjectStore(input);

        // 205 images in batches of 3: 69 manifests, far more than are written at once.
        var listing = await new JobOutput(output).ListAsync(inputStore, batchSize: 3);

        Assert.Equal((205, 69, 5), (listing.Images, listing.Batches, listing.Labels));
        var listed = new List<ImageEntry>();
        await foreach (var image in new ImageLister().ListAsync(inputStore))
        {
            listed.Add(image);
        }

        var manifests = new List<ImageEntry>();
        for (var batch = 0; batch < listing.Batches; batch++)
        {
            var images = await BatchManifest.ReadAsync(output, batch);
            Assert.Equal(batch == listing.Batches - 1 ? 1 : 3, images.Count);
            manifests.AddRange(images);
        }

        Assert.Equal(listed.Select(i => i.Key), manifests.Select(i => i.Key));
    }

    [Fact]
    public async Task A_relisting_rewrites_only_the_manifests_that_changed_and_deletes_those_beyond_its_batches()
    {
        var input = _temp.Combine("input");
        Directory.CreateDirectory(Path.Combine(input, "Fruit"));
        for (var i = 0; i < 10; i++)
        {
            await File.WriteAllBytesAsync(Path.Combine(input, "Fruit", $"img_{i:D3}.jpg"), [(byte)i]);
        }

        var outputFolder = _temp.Combine("output");
        var output = new JobOutput(new LocalObjectStore(outputFolder));
        var inputStore = new LocalObjectStore(input);
        Assert.Equal(4, (await output.ListAsync(inputStore, batchSize: 3)).Batches);
        string Manifest(int batch) => Path.Combine(outputFolder, OutputLayout.BatchManifest(batch));

        // Dated long ago, so that any manifest written again shows by its modification time.
        var longAgo = new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        for (var batch = 0; batch < 4; batch++)
        {
            File.SetLastWriteTimeUtc(Manifest(batch), longAgo);
        }

        bool Untouched(int batch) => File.GetLastWriteTimeUtc(Manifest(batch)) == longAgo;

        await output.ListAsync(inputStore, batchSize: 3);
        Assert.All(Enumerable.Range(0, 4), batch => Assert.True(Untouched(batch), $"batch {batch} was written again"));

        // One image gone: batch 2 onwards shift, batch 3 no longer exists; batches 0 and 1 stay as they were.
        File.Delete(Path.Combine(input, "Fruit", "img_007.jpg"));
        var relisted = await output.ListAsync(inputStore, batchSize: 3);
        Assert.Equal(3, relisted.Batches);
        Assert.True(Untouched(0) && Untouched(1));
        Assert.False(Untouched(2));
        Assert.Equal(["img_006.jpg", "img_008.jpg", "img_009.jpg"], (await BatchManifest.ReadAsync(output.Store, 2)).Select(i => Path.GetFileName(i.Key)));
        Assert.False(File.Exists(Manifest(3)));
    }

    /// <summary>
    /// With a feature store, the manifests, the version keys and the listing's hash all follow the batches as cut, not
    /// the listing: a resume compares hashes, and must not take batches an earlier attempt cut otherwise.
    /// </summary>
    [Fact]
    public async Task Manifests_versions_and_hash_follow_the_batches_as_cut_around_what_the_store_holds()
    {
        var input = _temp.Combine("input");
        Directory.CreateDirectory(Path.Combine(input, "Fruit"));
        for (var i = 0; i < 10; i++)
        {
            await File.WriteAllBytesAsync(Path.Combine(input, "Fruit", $"img_{i:D3}.jpg"), [(byte)i]);
        }

        var inputStore = new LocalObjectStore(input);
        static Task<Func<int, ImageEntry, bool>?> Holding(Func<ImageEntry, bool> test) => Task.FromResult<Func<int, ImageEntry, bool>?>((_, image) => test(image));
        static bool Even(ImageEntry image) => (image.Key[^5] - '0') % 2 == 0;
        var plain = await new JobOutput(new LocalObjectStore(_temp.Combine("plain"))).ListAsync(inputStore, batchSize: 3);
        var allStored = await new JobOutput(new LocalObjectStore(_temp.Combine("all"))).ListAsync(inputStore, batchSize: 3, inFeatureStore: Holding(_ => true));
        var versions = new List<UInt128?>();
        var mixedOutput = new LocalObjectStore(_temp.Combine("mixed"));
        var mixed = await new JobOutput(mixedOutput).ListAsync(inputStore, batchSize: 3, versions, Holding(Even));

        // A store holding every image cuts as no store does; one holding some cuts otherwise, and says so in its hash.
        Assert.Equal(plain, allStored);
        Assert.Equal((plain.Images, plain.Batches), (mixed.Images, mixed.Batches));
        Assert.NotEqual(plain.ListingSha256, mixed.ListingSha256);

        var manifests = new List<ImageEntry>();
        for (var batch = 0; batch < mixed.Batches; batch++)
        {
            manifests.AddRange(await BatchManifest.ReadAsync(mixedOutput, batch));
        }

        Assert.Equal(["000", "002", "004", "001", "003", "005", "006", "008", "007", "009"], manifests.Select(i => i.Key[^7..^4]));
        Assert.Equal(manifests.Select(ImageVersionKey.Of), versions);
        Assert.Equal([0b0101_0101, 0b01], mixed.HeldByStore);
        Assert.Null(allStored.HeldByStore);
    }

    public void Dispose() => _temp.Dispose();
}
