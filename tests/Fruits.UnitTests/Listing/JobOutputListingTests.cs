using Fruits.Grains;
using Fruits.Pipeline.Listing;
using Fruits.Pipeline.Storage;

namespace Fruits.UnitTests.Listing;

/// <summary>The listing writes its batch manifests several at a time; every one must be in place when it returns.</summary>
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

    public void Dispose() => _temp.Dispose();
}
