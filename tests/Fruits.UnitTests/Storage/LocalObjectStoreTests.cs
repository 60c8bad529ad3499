using Fruits.Pipeline.Storage;

namespace Fruits.UnitTests.Storage;

public sealed class LocalObjectStoreTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("fruits-local-store");

    [Fact]
    public async Task Reads_a_file_whole_without_leaving_the_calling_thread()
    {
        var bytes = await File.ReadAllBytesAsync(Directory.EnumerateFiles(TestPaths.TestImagesRoot, "*.jpg", SearchOption.AllDirectories).First());
        await File.WriteAllBytesAsync(Path.Combine(_root.FullName, "a.jpg"), bytes);
        var store = new LocalObjectStore(_root.FullName);

        var read = store.ReadAllBytesAsync("a.jpg", bytes.Length);

        // Completed on return: the featurizer's per-image read costs no thread-pool round trip.
        Assert.True(read.IsCompletedSuccessfully);
        Assert.Equal(bytes, await read);
    }

    [Fact]
    public async Task A_missing_or_oversized_file_is_a_storage_error_with_its_reason()
    {
        await File.WriteAllBytesAsync(Path.Combine(_root.FullName, "big.jpg"), new byte[100]);
        var store = new LocalObjectStore(_root.FullName);

        var missing = await Assert.ThrowsAsync<StorageException>(() => store.ReadAllBytesAsync("nope.jpg", 1000));
        Assert.Contains("file not found", missing.Message, StringComparison.Ordinal);
        var big = await Assert.ThrowsAsync<StorageException>(() => store.ReadAllBytesAsync("big.jpg", 99));
        Assert.Contains("100 bytes, over the 99-byte limit", big.Message, StringComparison.Ordinal);
        Assert.Equal(100, (await store.ReadAllBytesAsync("big.jpg", 100)).Length);
    }

    public void Dispose() => _root.Delete(recursive: true);
}
