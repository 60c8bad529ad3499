using Fruits.Pipeline.Listing;
using Fruits.Pipeline.Output;
using Fruits.Pipeline.Reuse;
using Fruits.Pipeline.Statistics;
using Fruits.Pipeline.Storage;

namespace Fruits.UnitTests.Reuse;

/// <summary>Fingerprints of a job's rows, and the statistics and fits kept under them in a feature store.</summary>
public sealed class StatisticsMemoTests : IDisposable
{
    private const int Dimension = 6;
    private readonly TempDirectory _temp = new("fruits-statistics-memo");

    [Fact]
    public void A_fingerprint_names_the_rows_in_their_batches_and_order_and_needs_every_batch()
    {
        UInt128[] rows = [1, 2, 3, 4];
        var whole = RowsFingerprint.Of([RowsFingerprint.OfBatch(rows.AsSpan(0, 2)), RowsFingerprint.OfBatch(rows.AsSpan(2))]);
        Assert.Equal(whole, RowsFingerprint.Of([RowsFingerprint.OfBatch([1, 2]), RowsFingerprint.OfBatch([3, 4])]));
        Assert.Matches("^[0-9a-f]{64}$", whole);

        // Other order, other cut into batches, a row fewer: other rows.
        Assert.NotEqual(whole, RowsFingerprint.Of([RowsFingerprint.OfBatch([2, 1]), RowsFingerprint.OfBatch([3, 4])]));
        Assert.NotEqual(whole, RowsFingerprint.Of([RowsFingerprint.OfBatch([1]), RowsFingerprint.OfBatch([2, 3, 4])]));
        Assert.NotEqual(whole, RowsFingerprint.Of([RowsFingerprint.OfBatch([1, 2]), RowsFingerprint.OfBatch([3])]));

        // A batch that reported no digest (its images were not hashed): no fingerprint at all.
        Assert.Null(RowsFingerprint.Of([RowsFingerprint.OfBatch([1, 2]), null]));
    }

    [Fact]
    public async Task The_fingerprint_predicted_from_the_listing_is_the_one_the_batches_report_and_needs_every_image_in_the_store()
    {
        var store = new FeatureStore(new LocalObjectStore(_temp.Path));
        var images = Enumerable.Range(0, 5).Select(i => new ImageEntry($"Fruit/{i}.jpg", $"/in/Fruit/{i}.jpg", "Fruit", $"{100 + i}-7")).ToList();
        var hashes = images.Select(i => ContentHash.Of(System.Text.Encoding.UTF8.GetBytes(i.Path))).ToList();
        var versions = images.Select(ImageVersionKey.Of).ToList();
        await store.WriteAsync(hashes, new float[5 * Dimension], Dimension, index: null, versions: versions);
        var index = new FeatureStoreIndex();
        await store.RefreshAsync(index);

        var reported = RowsFingerprint.Of([
            RowsFingerprint.OfBatch([.. hashes.Take(2).Select(h => h.Prefix)]),
            RowsFingerprint.OfBatch([.. hashes.Skip(2).Take(2).Select(h => h.Prefix)]),
            RowsFingerprint.OfBatch([hashes[4].Prefix]),
        ]);
        Assert.Equal(reported, RowsFingerprint.Predict(RowsFingerprint.Resolve(versions, index), batchSize: 2));

        // An image listed at a version the store has not seen, or without one: nothing to predict.
        Assert.Null(RowsFingerprint.Predict(RowsFingerprint.Resolve([.. versions, ImageVersionKey.Of(images[0] with { Version = "999-7" })], index), batchSize: 2));
        Assert.Null(RowsFingerprint.Predict(RowsFingerprint.Resolve([.. versions, null], index), batchSize: 2));
        Assert.Null(RowsFingerprint.Predict([], batchSize: 2));
    }

    [Fact]
    public void Kept_rows_cover_listed_images_of_the_same_content_one_each_and_only_when_all_are_listed()
    {
        UInt128?[] listed = [5, null, 3, 5, 9];

        // Sorted kept rows; a content listed twice and kept once covers its first listing only.
        Assert.Equal([true, false, true, false, false], RowsCover.Assign(listed, [3, 5])!);
        Assert.Equal([true, false, true, true, true], RowsCover.Assign(listed, [3, 5, 5, 9])!);
        Assert.Equal([false, false, false, false, false], RowsCover.Assign(listed, [])!);

        // A kept row no listed image has (left, or unknown to the store), or kept more often than listed: no cover.
        Assert.Null(RowsCover.Assign(listed, [3, 4]));
        Assert.Null(RowsCover.Assign(listed, [5, 5, 5]));
    }

    [Fact]
    public async Task Kept_rows_are_listed_by_count_and_read_back_only_when_intact()
    {
        var memo = new StatisticsMemo(new LocalObjectStore(_temp.Path));
        var fingerprint = RowsFingerprint.Of([RowsFingerprint.OfBatch([1, 2, 3])])!;
        await memo.WriteRowsAsync(fingerprint, [3, 1, 2, 2]);
        Assert.Equal([(fingerprint, 4L)], await memo.ListAsync());
        Assert.Equal([1, 2, 2, 3], await memo.TryReadRowsAsync(fingerprint, rows: 4));
        Assert.Null(await memo.TryReadRowsAsync(fingerprint, rows: 3));

        var path = Path.Combine(_temp.Path, StatisticsMemo.RowsKey(fingerprint));
        var damaged = File.ReadAllBytes(path);
        damaged[5] ^= 1;
        File.WriteAllBytes(path, damaged);
        Assert.Null(await memo.TryReadRowsAsync(fingerprint, rows: 4));
    }

    [Fact]
    public async Task Kept_statistics_and_fits_read_back_only_when_intact_and_for_the_same_rows_and_selection()
    {
        var objects = new LocalObjectStore(_temp.Path);
        var memo = new StatisticsMemo(objects);
        var fingerprint = RowsFingerprint.Of([RowsFingerprint.OfBatch([7, 8, 9])])!;
        var statistics = Statistics(rows: 40, seed: 3);
        var bytes = OutputMoments.Serialize(statistics);
        var threshold = new PcaSelection(0.75);
        var model = new PcaFitter().Fit(statistics, threshold);

        Assert.Null(await memo.TryReadMomentsAsync(fingerprint, rows: 40)); // nothing kept yet
        await memo.WriteMomentsAsync(fingerprint, bytes);
        await memo.WriteModelAsync(fingerprint, model);

        var read = await memo.TryReadMomentsAsync(fingerprint, rows: 40);
        Assert.NotNull(read);
        Assert.Equal(bytes, read.Value.Bytes);
        Assert.Equal(statistics.CoMoment, read.Value.Statistics.CoMoment);
        var fit = await memo.TryReadModelAsync(fingerprint, read.Value.Statistics, threshold);
        Assert.NotNull(fit);
        Assert.Equal(PcaModelJson.Serialize(model), PcaModelJson.Serialize(fit));

        // Other rows, another selection, statistics that count other rows: nothing.
        Assert.Null(await memo.TryReadMomentsAsync(RowsFingerprint.Of([RowsFingerprint.OfBatch([7, 8])])!, rows: 40));
        Assert.Null(await memo.TryReadMomentsAsync(fingerprint, rows: 41));
        Assert.Null(await memo.TryReadModelAsync(fingerprint, statistics, new PcaSelection(0.8)));
        Assert.Null(await memo.TryReadModelAsync(fingerprint, statistics, new PcaSelection(FixedK: model.K)));
        Assert.Null(await memo.TryReadModelAsync(fingerprint, Statistics(rows: 40, seed: 4), threshold));
        Assert.NotEqual(StatisticsMemo.ModelKey(fingerprint, threshold), StatisticsMemo.ModelKey(fingerprint, new PcaSelection(FixedK: 3)));
        Assert.Contains($".fit{PcaFitter.MethodVersion}.", StatisticsMemo.ModelKey(fingerprint, threshold), StringComparison.Ordinal);

        // A damaged file is never taken: one flipped byte in the statistics, a fit cut short.
        var momentsPath = Path.Combine(_temp.Path, StatisticsMemo.MomentsKey(fingerprint));
        var damaged = File.ReadAllBytes(momentsPath);
        damaged[damaged.Length / 2] ^= 0x40;
        File.WriteAllBytes(momentsPath, damaged);
        Assert.Null(await memo.TryReadMomentsAsync(fingerprint, rows: 40));
        var modelPath = Path.Combine(_temp.Path, StatisticsMemo.ModelKey(fingerprint, threshold));
        File.WriteAllBytes(modelPath, File.ReadAllBytes(modelPath)[..100]);
        Assert.Null(await memo.TryReadModelAsync(fingerprint, statistics, threshold));
    }

    [Fact]
    public async Task Only_the_most_recently_written_sets_stay_each_removed_whole_and_the_one_just_written_always_stays()
    {
        var objects = new LocalObjectStore(_temp.Path);
        var memo = new StatisticsMemo(objects);
        var statistics = Statistics(rows: 40, seed: 3);
        var model = new PcaFitter().Fit(statistics, new PcaSelection(0.75));
        var sets = Enumerable.Range(1, 4).Select(i => RowsFingerprint.Of([RowsFingerprint.OfBatch([(UInt128)i])])!).ToList();
        var written = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        foreach (var (fingerprint, age) in sets.Select((f, i) => (f, i)))
        {
            await memo.WriteMomentsAsync(fingerprint, OutputMoments.Serialize(statistics));
            await memo.WriteRowsAsync(fingerprint, Enumerable.Repeat((UInt128)age, 40));
            await memo.WriteModelAsync(fingerprint, model);
            SetWritten(fingerprint, written.AddHours(age)); // sets[3] the newest
        }

        // A writer stopped after the fit of a fifth set, long ago; a file of someone else's beside them.
        var orphan = RowsFingerprint.Of([RowsFingerprint.OfBatch([99])])!;
        await memo.WriteModelAsync(orphan, model);
        SetWritten(orphan, written.AddHours(-1));
        await objects.WriteAsync($"{StatisticsMemo.Prefix}notes.txt", "a user's file"u8.ToArray());

        Assert.Equal(3, await memo.EvictAsync(keep: 2));
        Assert.Equal(sets[2..].Order(), (await memo.ListAsync()).Select(k => k.Fingerprint).Order());
        Assert.All(sets[..2].Append(orphan), f => Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(Path.Combine(_temp.Path, StatisticsMemo.MomentsKey(f)))!, $"{f}.*")));
        foreach (var kept in sets[2..])
        {
            Assert.NotNull(await memo.TryReadMomentsAsync(kept, rows: 40));
            Assert.NotNull(await memo.TryReadRowsAsync(kept, rows: 40));
            Assert.NotNull(await memo.TryReadModelAsync(kept, statistics, new PcaSelection(0.75)));
        }

        // The set a job just wrote stays even when a clock puts it behind the others; keeping none removes the rest.
        SetWritten(sets[2], written.AddHours(-5));
        Assert.Equal(0, await memo.EvictAsync(keep: 2, written: sets[2]));
        Assert.Equal(1, await memo.EvictAsync(keep: 1, written: sets[2]));
        Assert.Equal([sets[2]], (await memo.ListAsync()).Select(k => k.Fingerprint));
        Assert.Equal(1, await memo.EvictAsync(keep: 0));
        Assert.Empty(await memo.ListAsync());
        Assert.True(File.Exists(Path.Combine(_temp.Path, StatisticsMemo.Prefix, "notes.txt")));

        void SetWritten(string fingerprint, DateTime time)
        {
            foreach (var file in Directory.GetFiles(Path.GetDirectoryName(Path.Combine(_temp.Path, StatisticsMemo.MomentsKey(fingerprint)))!, $"{fingerprint}.*"))
            {
                File.SetLastWriteTimeUtc(file, time);
            }
        }
    }

    public void Dispose() => _temp.Dispose();

    private static MomentStatistics Statistics(int rows, int seed)
    {
        var table = SyntheticFeatures.Table(rows, seed, Dimension);
        var accumulator = new ShiftedMomentAccumulator(Dimension);
        accumulator.Add(table.FeatureBlock, table.Count);
        return accumulator.ToStatistics();
    }
}
