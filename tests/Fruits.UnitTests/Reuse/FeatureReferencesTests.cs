using Fruits.Pipeline.Output;
using Fruits.Pipeline.Reuse;
using Fruits.Pipeline.Storage;
using Microsoft.Extensions.Options;

namespace Fruits.UnitTests.Reuse;

/// <summary>Features parts that point into the feature store, as a rerun over stored images writes them.</summary>
public sealed class FeatureReferencesTests : IDisposable
{
    private const int Dimension = 8;
    private readonly TempDirectory _temp = new("fruits-feature-references");
    private readonly ObjectStoreFactory _stores = new(Options.Create(new S3StorageOptions()));

    [Fact]
    public async Task A_part_that_points_into_the_store_reads_back_the_stored_features_of_each_row_in_order()
    {
        var (output, store, location) = Open();
        var first = await store.WriteAsync(Hashes("a", "b"), Features(2, seed: 1), Dimension, index: null);
        var second = await store.WriteAsync(Hashes("c"), Features(1, seed: 2), Dimension, index: null);

        // Rows in another order than the segments hold them, from two segments.
        var hits = new[]
        {
            new FeatureStoreHit(Hashes("c")[0], new FeatureStoreEntry(second, 0), 0),
            new FeatureStoreHit(Hashes("b")[0], new FeatureStoreEntry(first, 1), 1),
            new FeatureStoreHit(Hashes("a")[0], new FeatureStoreEntry(first, 0), 2),
        };
        await FeatureReferences.WriteAsync(output, OutputLayout.FeaturesPart(4), Table(["x/c.jpg", "x/b.jpg", "y/a.jpg"], ["x", "x", "y"]), hits, location,
            new BatchCommit(Listed: 4, Succeeded: 3, Failed: 1, Reused: 3));

        var reader = new BatchFeatureReader(_stores);
        var (table, commit) = await reader.ReadAsync(output, 4, Dimension);

        Assert.Equal(["x/c.jpg", "x/b.jpg", "y/a.jpg"], table.Paths);
        Assert.Equal(["x", "x", "y"], table.Labels);
        Assert.Equal(Features(1, seed: 2), table.Row(0).ToArray());
        Assert.Equal(Features(2, seed: 1).AsSpan(Dimension, Dimension).ToArray(), table.Row(1).ToArray());
        Assert.Equal(Features(2, seed: 1).AsSpan(0, Dimension).ToArray(), table.Row(2).ToArray());
        Assert.Equal((4, 3, 1, 3), (commit!.Listed, commit.Succeeded, commit.Failed, commit.Reused));
        Assert.Equal(location.Uri, commit.FeatureStore);
        Assert.Equal([second, first], commit.Segments);

        // The errors part the commit counts is there, so a resume may skip the batch.
        await ParquetParts.WriteAsync(output, OutputLayout.ErrorsPart(4), new[] { new ErrorRow { Path = "y/broken.jpg", Reason = "not a JPEG" } });
        Assert.NotNull(await reader.TryReadVerifiedCommitAsync(output, 4));
    }

    [Fact]
    public async Task A_part_whose_segment_is_gone_is_not_resumed_and_does_not_read()
    {
        var (output, store, location) = Open();
        var kept = await store.WriteAsync(Hashes("a"), Features(1, seed: 1), Dimension, index: null);
        var lost = await store.WriteAsync(Hashes("b"), Features(1, seed: 2), Dimension, index: null);
        var hits = new[]
        {
            new FeatureStoreHit(Hashes("a")[0], new FeatureStoreEntry(kept, 0), 0),
            new FeatureStoreHit(Hashes("b")[0], new FeatureStoreEntry(lost, 0), 1),
        };
        await FeatureReferences.WriteAsync(output, OutputLayout.FeaturesPart(0), Table(["a.jpg", "b.jpg"], ["l", "l"]), hits, location, new BatchCommit(2, 2, 0, 2));
        var reader = new BatchFeatureReader(_stores);
        Assert.NotNull(await reader.TryReadVerifiedCommitAsync(output, 0));

        await store.Store.DeleteAsync(FeatureStoreLayout.Segment(lost));

        Assert.Null(await reader.TryReadVerifiedCommitAsync(output, 0));
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => reader.ReadAsync(output, 0, Dimension));
        Assert.Contains(lost, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public async Task A_segment_row_that_holds_another_image_is_refused()
    {
        var (output, store, location) = Open();
        var segment = await store.WriteAsync(Hashes("a", "b"), Features(2, seed: 1), Dimension, index: null);

        // The part claims "b" is row 0, which holds "a".
        await FeatureReferences.WriteAsync(output, OutputLayout.FeaturesPart(0), Table(["b.jpg"], ["l"]),
            [new FeatureStoreHit(Hashes("b")[0], new FeatureStoreEntry(segment, 0), 0)], location, new BatchCommit(1, 1, 0, 1));

        await Assert.ThrowsAsync<InvalidDataException>(() => new BatchFeatureReader(_stores).ReadAsync(output, 0, Dimension));
    }

    /// <summary>
    /// A batch with new images among stored ones: its part points into the store for the stored rows and holds the
    /// features of the new ones, which DuckDB reads as the rows' lists (null where the row points into the store).
    /// </summary>
    [Fact]
    public async Task A_part_with_featurized_rows_among_stored_ones_holds_only_theirs_and_reads_back_every_row()
    {
        var (output, store, location) = Open();
        var segment = await store.WriteAsync(Hashes("a", "c"), Features(2, seed: 1), Dimension, index: null);
        var table = new FeatureTable(["a.jpg", "new-1.jpg", "c.jpg", "new-2.jpg"], ["l", "l", "m", "m"], Features(4, seed: 3), Dimension);
        var hits = new[]
        {
            new FeatureStoreHit(Hashes("a")[0], new FeatureStoreEntry(segment, 0), 0),
            new FeatureStoreHit(Hashes("c")[0], new FeatureStoreEntry(segment, 1), 2),
        };
        await FeatureReferences.WriteAsync(output, OutputLayout.FeaturesPart(7), table, hits, location, new BatchCommit(4, 4, 0, Reused: 2));

        var (read, commit) = await new BatchFeatureReader(_stores).ReadAsync(output, 7, Dimension);

        Assert.Equal(table.Paths, read.Paths);
        Assert.Equal(table.Labels, read.Labels);
        Assert.Equal(Features(2, seed: 1).AsSpan(0, Dimension).ToArray(), read.Row(0).ToArray());
        Assert.Equal(table.Row(1).ToArray(), read.Row(1).ToArray());
        Assert.Equal(Features(2, seed: 1).AsSpan(Dimension, Dimension).ToArray(), read.Row(2).ToArray());
        Assert.Equal(table.Row(3).ToArray(), read.Row(3).ToArray());
        Assert.Equal((4, 2), (commit!.Succeeded, commit.Reused));
        Assert.Equal([segment], commit.Segments);

        using var db = new DuckDb();
        var rows = db.Rows($"SELECT path, segment, \"row\", features FROM read_parquet({DuckDb.Quote(Path.Combine(output.Root, OutputLayout.FeaturesPart(7)))}) ORDER BY path");
        Assert.Equal(["a.jpg", "c.jpg", "new-1.jpg", "new-2.jpg"], rows.Select(r => (string)r[0]!));
        Assert.Null(rows[0][3]);
        Assert.Null(rows[1][3]);
        Assert.Equal(("", FeatureReferences.HeldRow), ((string)rows[2][1]!, (int)rows[2][2]!));
        Assert.Equal(table.Row(1).ToArray(), ((System.Collections.IList)rows[2][3]!).Cast<float>().ToArray());
        Assert.Equal(table.Row(3).ToArray(), ((System.Collections.IList)rows[3][3]!).Cast<float>().ToArray());
    }

    [Fact]
    public async Task A_part_points_into_the_store_only_for_rows_in_order_counted_as_reused()
    {
        var (output, store, location) = Open();
        var segment = await store.WriteAsync(Hashes("a", "b"), Features(2, seed: 1), Dimension, index: null);
        var hits = new[] { new FeatureStoreHit(Hashes("a")[0], new FeatureStoreEntry(segment, 0), 0), new FeatureStoreHit(Hashes("b")[0], new FeatureStoreEntry(segment, 1), 1) };
        var table = Table(["a.jpg", "b.jpg"], ["l", "l"]);

        await Assert.ThrowsAsync<ArgumentException>(() =>
            FeatureReferences.WriteAsync(output, "p.parquet", table, hits, location, new BatchCommit(2, 2, 0, Reused: 1)));
        await Assert.ThrowsAsync<ArgumentException>(() =>
            FeatureReferences.WriteAsync(output, "p.parquet", table, [hits[1], hits[0]], location, new BatchCommit(2, 2, 0, 2)));
        await Assert.ThrowsAsync<ArgumentException>(() =>
            FeatureReferences.WriteAsync(output, "p.parquet", table, [hits[0], hits[1] with { DestinationRow = 0 }], location, new BatchCommit(2, 2, 0, 2)));
        await Assert.ThrowsAsync<ArgumentException>(() =>
            FeatureReferences.WriteAsync(output, "p.parquet", table, [], location, new BatchCommit(2, 2, 0, 0)));

        // A footer that names a store but counts no row reused from it is no commit.
        var footer = (new BatchCommit(2, 2, 0, 0) with { FeatureStore = location.Uri, Segments = [segment] }).ToMetadata();
        Assert.Null(BatchCommit.FromMetadata(footer, rows: 2));
        Assert.NotNull(BatchCommit.FromMetadata((new BatchCommit(2, 2, 0, 1) with { FeatureStore = location.Uri, Segments = [segment] }).ToMetadata(), rows: 2));
    }

    public void Dispose()
    {
        _stores.Dispose();
        _temp.Dispose();
    }

    private (IObjectStore Output, FeatureStore Store, StorageLocation Location) Open()
    {
        var location = new StorageLocation(Path.Combine(_temp.Path, "store", "namespace"));
        return (new LocalObjectStore(Path.Combine(_temp.Path, "out")), new FeatureStore(_stores.Open(location)), location);
    }

    /// <summary>A table whose features the part will not hold: every row of it points into the store.</summary>
    private static FeatureTable Table(string[] paths, string[] labels) => new(paths, labels, new float[paths.Length * Dimension], Dimension);

    private static ContentHash[] Hashes(params string[] contents) =>
        contents.Select(c => ContentHash.Of(System.Text.Encoding.UTF8.GetBytes(c))).ToArray();

    private static float[] Features(int rows, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, rows * Dimension).Select(_ => (float)random.NextDouble()).ToArray();
    }
}
