using System.Collections.Concurrent;
using Fruits.Pipeline.Output;
using Fruits.Pipeline.Reuse;
using Fruits.Pipeline.Storage;

namespace Fruits.UnitTests.Output;

/// <summary>
/// Which writes are synced: a batch's work parts, which every resume reads back and verifies, are not; what is
/// trusted without being read back first (the feature store's segments and index files, final parts, plain parts) is.
/// </summary>
public sealed class WorkPartWritesTests : IDisposable
{
    private const int Dimension = 8;
    private readonly TempDirectory _temp = new("fruits-work-part-writes");

    [Fact]
    public async Task Only_a_batch_s_work_parts_are_put_in_place_without_a_sync()
    {
        var output = new RecordingStore(new LocalObjectStore(_temp.Combine("out")));
        var storeRoot = new RecordingStore(new LocalObjectStore(_temp.Combine("store")));
        var featureStore = new FeatureStore(storeRoot);
        var hashes = new[] { ContentHash.Of("a"u8.ToArray()), ContentHash.Of("b"u8.ToArray()) };
        var segment = await featureStore.WriteAsync(hashes, new float[2 * Dimension], Dimension, index: null);
        var table = new FeatureTable(["x/a.jpg", "x/b.jpg"], ["x", "x"], new float[2 * Dimension], Dimension);

        await FeatureParts.WriteAsync(output, OutputLayout.FeaturesPart(0), table, new BatchCommit(3, 2, 1));
        await ParquetParts.WriteAsync(output, OutputLayout.ErrorsPart(0), new[] { new ErrorRow { Path = "x/c.jpg", Reason = "not a JPEG" } }, synced: false);
        await FeatureReferences.WriteAsync(output, OutputLayout.FeaturesPart(1), table,
            [new FeatureStoreHit(hashes[0], new FeatureStoreEntry(segment, 0), 0), new FeatureStoreHit(hashes[1], new FeatureStoreEntry(segment, 1), 1)],
            new StorageLocation(storeRoot.Root), new BatchCommit(2, 2, 0, Reused: 2));
        await FeatureParts.WriteAsync(output, "plain.parquet", table);
        await FeatureParts.WriteProjectedAsync(output, OutputLayout.OutputPart(0), [(table, new float[2])], k: 1, rowGroupRows: 2);
        await ParquetParts.WriteAsync(output, OutputLayout.Errors, new[] { new ErrorRow { Path = "x/c.jpg", Reason = "not a JPEG" } });

        Assert.Equal(
            [OutputLayout.ErrorsPart(0), OutputLayout.FeaturesPart(0), OutputLayout.FeaturesPart(1)],
            output.Unsynced.Order(StringComparer.Ordinal));
        Assert.Equal(
            [OutputLayout.Errors, OutputLayout.OutputPart(0), "plain.parquet"],
            output.Synced.Order(StringComparer.Ordinal));
        Assert.Empty(storeRoot.Unsynced);
        Assert.Equal([FeatureStoreLayout.Index(segment), FeatureStoreLayout.Segment(segment)], storeRoot.Synced.Order(StringComparer.Ordinal));

        // Unsynced or not, each is in place whole: the batches' commits read back.
        Assert.NotNull(await FeatureParts.TryReadVerifiedCommitAsync(output, 0));
        Assert.Equal(2, (await FeatureParts.TryReadCommitAsync(output, OutputLayout.FeaturesPart(1)))!.Reused);
    }

    public void Dispose() => _temp.Dispose();

    /// <summary>A local store that notes the key of every write, by whether it is synced.</summary>
    private sealed class RecordingStore(LocalObjectStore inner) : ObjectStoreDecorator(inner)
    {
        private readonly ConcurrentBag<string> _synced = [];
        private readonly ConcurrentBag<string> _unsynced = [];

        public IEnumerable<string> Synced => _synced;

        public IEnumerable<string> Unsynced => _unsynced;

        public override Task WriteAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
        {
            _synced.Add(key);
            return Inner.WriteAsync(key, content, cancellationToken);
        }

        public override Task WriteStreamingAsync(string key, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken = default)
        {
            _synced.Add(key);
            return Inner.WriteStreamingAsync(key, write, cancellationToken);
        }

        public override Task WriteVolatileAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
        {
            _unsynced.Add(key);
            return Inner.WriteVolatileAsync(key, content, cancellationToken);
        }
    }
}
