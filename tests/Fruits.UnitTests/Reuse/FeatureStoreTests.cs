using Fruits.Pipeline.Reuse;
using Fruits.Pipeline.Storage;

namespace Fruits.UnitTests.Reuse;

public sealed class FeatureStoreTests : IDisposable
{
    private const int Dimension = 8;
    private readonly TempDirectory _temp = new("fruits-feature-store");

    [Fact]
    public async Task Stored_features_are_found_by_content_from_a_fresh_index()
    {
        var store = new FeatureStore(new LocalObjectStore(_temp.Path));
        var hashes = Hashes("a", "b", "c");
        await store.WriteAsync(hashes, Features(3, seed: 1), Dimension, index: null);

        var index = new FeatureStoreIndex();
        Assert.Equal(1, await store.RefreshAsync(index));
        Assert.Equal(0, await store.RefreshAsync(index)); // nothing new: no index file is read twice
        Assert.False(index.TryFind(ContentHash.Of("d"u8), out _));

        var hits = new[] { Hit(index, hashes[2], 0), Hit(index, hashes[0], 1) };
        var destination = new float[2 * Dimension];
        Assert.Empty(await store.ReadAsync(hits, destination, Dimension));
        Assert.Equal(Features(3, seed: 1).AsSpan(2 * Dimension, Dimension).ToArray(), destination.AsSpan(0, Dimension).ToArray());
        Assert.Equal(Features(3, seed: 1).AsSpan(0, Dimension).ToArray(), destination.AsSpan(Dimension, Dimension).ToArray());
    }

    [Fact]
    public async Task An_image_stored_at_a_listed_version_is_found_without_its_bytes_and_its_full_hash_comes_from_the_segment()
    {
        var store = new FeatureStore(new LocalObjectStore(_temp.Path));
        var hashes = Hashes("a", "b", "c");
        var images = new[] { Image("x/a.jpg", "10-1"), Image("x/b.jpg", null), Image("x/c.jpg", "12-3") };
        await store.WriteAsync(hashes, Features(3, seed: 1), Dimension, index: null, versions: images.Select(ImageVersionKey.Of).ToArray());

        var index = new FeatureStoreIndex();
        await store.RefreshAsync(index);
        Assert.True(index.TryFindVersion(ImageVersionKey.Of(images[2])!.Value, out var prefix, out var entry));
        Assert.Equal(hashes[2].Prefix, prefix);
        Assert.False(index.TryFindVersion(ImageVersionKey.Of(Image("x/c.jpg", "12-4"))!.Value, out _, out _)); // rewritten since
        Assert.False(index.TryFindVersion(ImageVersionKey.Of(Image("y/c.jpg", "12-3"))!.Value, out _, out _)); // another image
        Assert.Null(ImageVersionKey.Of(images[1])); // no version listed: found by content only
        Assert.True(index.TryFind(hashes[1], out _));

        var resolved = new ContentHash[1];
        var destination = new float[Dimension];
        Assert.Empty(await store.ReadAsync([new FeatureStoreHit(new ContentHash(prefix, ""), entry, 0)], destination, Dimension, resolved));
        Assert.Equal(hashes[2], resolved[0]);
        Assert.Equal(Features(3, seed: 1).AsSpan(2 * Dimension, Dimension).ToArray(), destination);

        // A hash prefix that the segment row does not start with is not trusted.
        var other = new FeatureStoreHit(new ContentHash(hashes[0].Prefix, ""), entry, 0);
        Assert.Equal([0], await store.ReadAsync([other], destination, Dimension));
    }

    [Fact]
    public async Task An_index_file_without_image_versions_still_finds_its_entries_by_content()
    {
        var root = new LocalObjectStore(_temp.Path);
        var store = new FeatureStore(root);
        var hashes = Hashes("a", "b");
        var id = await store.WriteAsync(hashes, Features(2, seed: 1), Dimension, index: null);

        // The index file as written before image versions were recorded: a hash and a row, nothing else.
        await Fruits.Pipeline.Output.ParquetParts.WriteAsync(root, FeatureStoreLayout.Index(id),
            hashes.Select((h, row) => new IndexRowWithoutVersion { Sha256 = h.Hex, Row = row }).ToList());
        var index = new FeatureStoreIndex();
        Assert.Equal(1, await store.RefreshAsync(index));
        Assert.True(index.TryFind(hashes[1], out var entry));
        Assert.Equal(1, entry.Row);
    }

    [Fact]
    public async Task Many_index_files_are_merged_into_one_for_the_next_reader_and_a_damaged_merge_falls_back_to_them()
    {
        var root = new LocalObjectStore(_temp.Path);
        var store = new FeatureStore(root);
        var images = new List<(ContentHash Hash, UInt128 Version, string Segment)>();
        for (var segment = 0; segment < 40; segment++)
        {
            var hashes = Hashes($"{segment}-a", $"{segment}-b");
            var versions = hashes.Select((_, row) => ImageVersionKey.Of(Image($"f/{segment}-{row}.jpg", "1-1"))).ToArray();
            var id = await store.WriteAsync(hashes, Features(2, seed: segment), Dimension, index: null, versions: versions);
            images.AddRange(hashes.Select((h, row) => (h, versions[row]!.Value, id)));
        }

        // Forty index files read one by one, then merged; the next reader reads the one merged file alone.
        Assert.Equal(40, await store.RefreshAsync(new FeatureStoreIndex()));
        var merged = (await Keys(root)).Where(FeatureStoreLayout.IsMergedIndex).ToList();
        Assert.Single(merged);
        var index = new FeatureStoreIndex();
        Assert.Equal(1, await store.RefreshAsync(index));
        Assert.Equal(0, await store.RefreshAsync(index));
        AssertFindsAll(index);

        // DuckDB reads it like any index file: every entry once, with its segment.
        using (var db = new DuckDb())
        {
            var file = DuckDb.Quote(Path.Combine(_temp.Path, merged[0]));
            Assert.Equal(80, db.Scalar<int>($"SELECT count(DISTINCT sha256) FROM read_parquet({file})"));
            Assert.Equal(40, db.Scalar<int>($"SELECT count(DISTINCT segment) FROM read_parquet({file})"));
        }

        // A merged file that does not read sends its reader to the index files it copied, and is merged again.
        await root.WriteAsync(merged[0], "torn"u8.ToArray());
        index = new FeatureStoreIndex();
        Assert.Equal(40, await store.RefreshAsync(index));
        AssertFindsAll(index);
        Assert.Equal(1, await store.RefreshAsync(new FeatureStoreIndex()));

        // A long-lived reader merges only what is new to it, so merged files pile up as segments arrive; a fresh
        // reader that meets several merges them all into one.
        var live = new FeatureStoreIndex();
        await store.RefreshAsync(live);
        for (var round = 0; round < 4; round++)
        {
            for (var segment = 0; segment < 32; segment++)
            {
                await store.WriteAsync(Hashes($"r{round}-{segment}"), Features(1, seed: segment), Dimension, index: null);
            }

            Assert.Equal(32, await store.RefreshAsync(live));
        }

        Assert.Equal(5, (await Keys(root)).Count(FeatureStoreLayout.IsMergedIndex));
        index = new FeatureStoreIndex();
        Assert.Equal(5, await store.RefreshAsync(index));
        Assert.Single(await Keys(root), FeatureStoreLayout.IsMergedIndex);
        Assert.Equal(1, await store.RefreshAsync(new FeatureStoreIndex()));
        Assert.Equal(80 + (4 * 32), index.Count);
        AssertFindsAll(index);

        void AssertFindsAll(FeatureStoreIndex found)
        {
            foreach (var (hash, version, segment) in images)
            {
                Assert.True(found.TryFind(hash, out var entry) && entry.SegmentId == segment);
                Assert.True(found.TryFindVersion(version, out var prefix, out _) && prefix == hash.Prefix);
            }
        }
    }

    [Fact]
    public async Task Writing_the_same_entries_twice_writes_the_same_keys()
    {
        var root = new LocalObjectStore(_temp.Path);
        var store = new FeatureStore(root);
        var first = await store.WriteAsync(Hashes("a", "b"), Features(2, seed: 1), Dimension, index: null);
        var second = await store.WriteAsync(Hashes("a", "b"), Features(2, seed: 1), Dimension, index: null);

        Assert.Equal(first, second);
        var keys = await Keys(root);
        Assert.Equal([FeatureStoreLayout.Index(first), FeatureStoreLayout.Segment(first)], keys);
        // Spread over folders named by the id's first two hex digits, so no folder holds millions of entries.
        Assert.StartsWith($"index/{first[..2]}/", keys[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_segment_without_its_index_file_is_never_found()
    {
        var root = new LocalObjectStore(_temp.Path);
        var store = new FeatureStore(root);
        var id = await store.WriteAsync(Hashes("a"), Features(1, seed: 1), Dimension, index: null);

        // A writer killed between the segment and its index leaves just the segment.
        await root.DeleteAsync(FeatureStoreLayout.Index(id));
        var index = new FeatureStoreIndex();
        await store.RefreshAsync(index);

        Assert.False(index.TryFind(Hashes("a")[0], out _));
    }

    [Fact]
    public async Task An_entry_whose_segment_is_lost_or_holds_other_content_is_not_trusted()
    {
        var root = new LocalObjectStore(_temp.Path);
        var store = new FeatureStore(root);
        var lost = await store.WriteAsync(Hashes("lost"), Features(1, seed: 1), Dimension, index: null);
        var swapped = await store.WriteAsync(Hashes("x", "y"), Features(2, seed: 2), Dimension, index: null);
        var other = await store.WriteAsync(Hashes("y", "x"), Features(2, seed: 3), Dimension, index: null);
        var index = new FeatureStoreIndex();
        await store.RefreshAsync(index);

        await root.DeleteAsync(FeatureStoreLayout.Segment(lost));
        // A segment whose rows are not the ones its index names (as if torn or replaced by hand).
        await using (var replacement = await root.OpenReadAsync(FeatureStoreLayout.Segment(other)))
        {
            using var bytes = new MemoryStream();
            await replacement.CopyToAsync(bytes);
            await root.WriteAsync(FeatureStoreLayout.Segment(swapped), bytes.ToArray());
        }

        var hits = new[] { Hit(index, Hashes("lost")[0], 0), Hit(index, Hashes("x")[0], 1) };
        var unverified = await store.ReadAsync(hits, new float[2 * Dimension], Dimension);

        // "x" may be found in the other segment (the index keeps one entry per hash); wherever it points, it must verify.
        Assert.Contains(0, unverified);
        if (index.TryFind(Hashes("x")[0], out var entry) && entry.SegmentId == swapped)
        {
            Assert.Contains(1, unverified);
        }
    }

    [Fact]
    public async Task A_lost_segment_is_forgotten_and_its_images_are_read_where_else_they_are_stored()
    {
        var root = new LocalObjectStore(_temp.Path);
        var store = new FeatureStore(root);
        var lost = await store.WriteAsync(Hashes("a", "b"), Features(2, seed: 1), Dimension, index: null);
        var kept = await store.WriteAsync(Hashes("b", "a", "c"), Features(3, seed: 2), Dimension, index: null);
        await root.DeleteAsync(FeatureStoreLayout.Segment(lost));

        // The lost segment's index file loaded last, as a silo may load it: its entries are the ones found first.
        var index = new FeatureStoreIndex();
        index.AddSegment(kept, Hashes("b", "a", "c"));
        index.AddSegment(lost, Hashes("a", "b"));
        Assert.True(index.TryFind(Hashes("a")[0], out var before));
        Assert.Equal(lost, before.SegmentId);

        // "a" found by content, "b" by version (its hash's first 128 bits only).
        var hits = new[] { Hit(index, Hashes("a")[0], 0), Hit(index, Hashes("b")[0], 1) with { Hash = new ContentHash(Hashes("b")[0].Prefix, "") } };
        var destination = new float[2 * Dimension];
        var resolved = new ContentHash[2];
        var served = new FeatureStoreEntry[2];

        Assert.Empty(await store.ReadAsync(hits, destination, Dimension, resolved, index, served));
        Assert.Equal(Features(3, seed: 2).AsSpan(Dimension, Dimension).ToArray(), destination.AsSpan(0, Dimension).ToArray());
        Assert.Equal(Features(3, seed: 2).AsSpan(0, Dimension).ToArray(), destination.AsSpan(Dimension, Dimension).ToArray());
        Assert.Equal([new FeatureStoreEntry(kept, 1), new FeatureStoreEntry(kept, 0)], served);
        Assert.Equal(Hashes("b")[0], resolved[1]);

        // The lost segment is never looked in again, by this read or any later one.
        Assert.All(Hashes("a", "b", "c"), h => Assert.True(index.TryFind(h, out var entry) && entry.SegmentId == kept));
        Assert.Equal(0, await store.RefreshAsync(index));
    }

    [Fact]
    public async Task A_segment_stored_nowhere_else_is_featurized_again_and_one_that_failed_for_now_is_not_forgotten()
    {
        var root = new LocalObjectStore(_temp.Path);
        var only = await new FeatureStore(root).WriteAsync(Hashes("a"), Features(1, seed: 1), Dimension, index: null);
        var busy = await new FeatureStore(root).WriteAsync(Hashes("b"), Features(1, seed: 2), Dimension, index: null);
        await root.DeleteAsync(FeatureStoreLayout.Segment(only));
        var store = new FeatureStore(new ThrottledSegment(root, FeatureStoreLayout.Segment(busy)));
        var index = new FeatureStoreIndex();
        await store.RefreshAsync(index);

        var hits = new[] { Hit(index, Hashes("a")[0], 0), Hit(index, Hashes("b")[0], 1) };
        Assert.Equal([0, 1], await store.ReadAsync(hits, new float[2 * Dimension], Dimension, index: index));

        // The lost one is gone from the index; the throttled one is still found, and reads once the store answers.
        Assert.False(index.TryFind(Hashes("a")[0], out _));
        Assert.True(index.TryFind(Hashes("b")[0], out var entry));
        Assert.Equal(busy, entry.SegmentId);
        Assert.Empty(await new FeatureStore(root).ReadAsync([hits[1] with { DestinationRow = 0 }], new float[Dimension], Dimension, index: index));
    }

    [Fact]
    public async Task A_torn_index_file_is_skipped_and_its_entries_are_featurized_again()
    {
        var root = new LocalObjectStore(_temp.Path);
        var store = new FeatureStore(root);
        var id = await store.WriteAsync(Hashes("a"), Features(1, seed: 1), Dimension, index: null);
        await root.WriteAsync(FeatureStoreLayout.Index(id), "PAR1 not a parquet file"u8.ToArray());
        await root.WriteAsync("index/ab/notes.txt", "a user's file"u8.ToArray());

        var index = new FeatureStoreIndex();
        Assert.Equal(0, await store.RefreshAsync(index));
        Assert.Equal(0, index.Count);
    }

    [Fact]
    public void Namespaces_separate_models_and_preprocessing_versions()
    {
        var root = new StorageLocation(_temp.Path);
        var a = FeatureStoreLocation.Namespace(root, new FeatureStoreKey(new string('a', 64), 1));
        var b = FeatureStoreLocation.Namespace(root, new FeatureStoreKey(new string('b', 64), 1));
        var c = FeatureStoreLocation.Namespace(root, new FeatureStoreKey(new string('a', 64), 2));

        Assert.Equal(3, new[] { a.Uri, b.Uri, c.Uri }.Distinct().Count());
        Assert.StartsWith(_temp.Path, a.Uri, StringComparison.Ordinal);
        Assert.Equal("s3://bucket/jobs/fruits-feature-store", FeatureStoreLocation.BesideOutput(new StorageLocation("s3://bucket/jobs/out")).Uri);
        Assert.Equal("s3://bucket/fruits-feature-store", FeatureStoreLocation.BesideOutput(new StorageLocation("s3://bucket/out")).Uri);
        Assert.Equal(Path.Combine(_temp.Path, "fruits-feature-store"), FeatureStoreLocation.BesideOutput(new StorageLocation(Path.Combine(_temp.Path, "out"))).Uri);
    }

    public void Dispose() => _temp.Dispose();

    /// <summary>A store that answers every read of one key as a throttled S3 does.</summary>
    private sealed class ThrottledSegment(IObjectStore inner, string key) : ObjectStoreDecorator(inner)
    {
        public override Task<Stream> OpenReadAsync(string read, CancellationToken cancellationToken = default) =>
            read == key ? throw new StorageException($"{read}: slow down", isTransient: true) : base.OpenReadAsync(read, cancellationToken);
    }

    private static ContentHash[] Hashes(params string[] contents) =>
        contents.Select(c => ContentHash.Of(System.Text.Encoding.UTF8.GetBytes(c))).ToArray();

    private static Fruits.Pipeline.Listing.ImageEntry Image(string key, string? version) =>
        new(key, "/data/" + key, key.Split('/')[0], version);

    private static float[] Features(int rows, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, rows * Dimension).Select(_ => (float)random.NextDouble()).ToArray();
    }

    private static FeatureStoreHit Hit(FeatureStoreIndex index, ContentHash hash, int row)
    {
        Assert.True(index.TryFind(hash, out var entry));
        return new FeatureStoreHit(hash, entry, row);
    }

    private static async Task<List<string>> Keys(IObjectStore store)
    {
        var keys = new List<string>();
        await foreach (var item in store.ListAsync(""))
        {
            if (!item.Key.StartsWith(IObjectStore.TemporaryPrefix, StringComparison.Ordinal))
            {
                keys.Add(item.Key);
            }
        }

        return keys;
    }

    public sealed class IndexRowWithoutVersion
    {
        [System.Text.Json.Serialization.JsonPropertyName("sha256"), Parquet.Serialization.Attributes.ParquetRequired] public string Sha256 { get; set; } = "";
        [System.Text.Json.Serialization.JsonPropertyName("row")] public int Row { get; set; }
    }
}
