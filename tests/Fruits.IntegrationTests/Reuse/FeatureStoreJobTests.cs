using System.Text.Json;
using Fruits.Grains;
using Fruits.Grains.Interfaces;
using Fruits.IntegrationTests.EndToEnd;
using Fruits.Pipeline.Imaging;
using Fruits.Pipeline.Output;
using Fruits.Pipeline.Reuse;
using Fruits.Pipeline.Statistics;
using Fruits.Pipeline.Storage;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace Fruits.IntegrationTests.Reuse;

/// <summary>Jobs that share a feature store on the in-process two-silo cluster, checked with DuckDB.</summary>
[Collection(TwoSiloCollection.Name)]
public sealed class FeatureStoreJobTests(TwoSiloClusterFixture fixture) : IDisposable
{
    private const int PerLabel = 8;
    private const int BatchSize = 8;
    private static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(4);
    private readonly TempDirectory _temp = new("fruits-reuse");

    /// <summary>
    /// One scenario, three jobs (a PCA fit of a few dozen images costs this suite seconds each): folder A is run; then A is
    /// renamed, a new label B arrives, one image of A gets other bytes and one is deleted. The rerun featurizes only
    /// B and the changed image, and its output equals a run from scratch over the same folder.
    /// </summary>
    [Fact]
    public async Task A_rerun_featurizes_only_new_and_changed_images_and_equals_a_run_from_scratch()
    {
        var staging = ImageSubset.CopyTo(_temp.Combine("staging"), labels: 4, PerLabel + 1);
        var labels = Directory.GetDirectories(staging).Order(StringComparer.Ordinal).ToList();
        var first = Directory.CreateDirectory(_temp.Combine("photos")).FullName;
        foreach (var label in labels.Take(3))
        {
            var target = Directory.CreateDirectory(Path.Combine(first, Path.GetFileName(label))).FullName;
            foreach (var file in Directory.GetFiles(label).Order(StringComparer.Ordinal).Take(PerLabel))
            {
                File.Move(file, Path.Combine(target, Path.GetFileName(file)));
            }
        }

        var store = _temp.Combine("store");
        var cold = await RunAsync(first, _temp.Combine("out-cold"), store);
        Assert.Equal((3 * PerLabel, 0), Counts(cold));

        // Renamed; a fourth label arrives; one image gets bytes no job has seen (the staging folder's spare image of
        // its label); one is deleted.
        var renamed = _temp.Combine("photos-2026");
        Directory.Move(first, renamed);
        Directory.Move(labels[3], Path.Combine(renamed, Path.GetFileName(labels[3])));
        var files = Directory.GetFiles(Path.Combine(renamed, Path.GetFileName(labels[0])), "*.jpg").Order(StringComparer.Ordinal).ToList();
        var changed = files[3];
        var deleted = files[5];
        File.Copy(Directory.GetFiles(labels[0]).Single(), changed, overwrite: true);
        File.Delete(deleted);

        var warm = await RunAsync(renamed, _temp.Combine("out-warm"), store);
        // From scratch, and in parts of at most 100 KB: two batches of eight rows (about 42 KB each) a part.
        var scratch = await RunAsync(renamed, _temp.Combine("out-scratch"), featureStore: null, partSizeBytes: 100 * 1024);

        var images = (4 * PerLabel) + 1 - 1;
        Assert.Equal((PerLabel + 1 + 1, (3 * PerLabel) - 2), Counts(warm));
        Assert.Equal((images, 0), Counts(scratch));
        Assert.Equal(StorageLocation.Parse(store).Uri, warm.Summary!.FeatureStore);
        Assert.Null(scratch.Summary!.FeatureStore);
        AssertSameOutput(_temp.Combine("out-warm"), _temp.Combine("out-scratch"), images);
        Assert.Single(Directory.GetFiles(_temp.Combine("out-warm"), "part-*.parquet"));
        Assert.Equal(2, Directory.GetFiles(_temp.Combine("out-scratch"), "part-*.parquet").Length);

        using var db = new DuckDb();
        var before = Parts(_temp.Combine("out-cold"));
        var after = Parts(_temp.Combine("out-warm"));
        var relative = $"replace(path, {DuckDb.Quote(first)}, '')";
        var changedRelative = changed.Replace(renamed, "", StringComparison.Ordinal);
        Assert.Equal(0, db.Scalar<int>($"SELECT count(*) FROM {after} WHERE path = {DuckDb.Quote(deleted)}"));
        // Of the images both jobs saw under one relative path, only the changed one has other features.
        Assert.Equal(
            [changedRelative],
            db.Rows($"SELECT x.p FROM (SELECT {relative} p, features FROM {before}) x JOIN (SELECT replace(path, {DuckDb.Quote(renamed)}, '') p, features FROM {after}) y USING (p) WHERE x.features <> y.features")
                .Select(r => (string)r[0]!).ToList());
        Assert.Equal((3 * PerLabel) - 2, db.Scalar<int>($"SELECT count(*) FROM (SELECT {relative} p, features FROM {before}) x JOIN (SELECT replace(path, {DuckDb.Quote(renamed)}, '') p, features FROM {after}) y USING (p) WHERE x.features = y.features"));

        // A batch points into the store for its stored images and holds the features of the others: whole batches of
        // stored images, of new ones, and (around the changed image) of both.
        var kinds = new List<(int Reused, int Succeeded)>();
        var workParts = new LocalObjectStore(_temp.Combine("out-warm"));
        for (var batch = 0; await FeatureParts.TryReadCommitAsync(workParts, OutputLayout.FeaturesPart(batch)) is { } commit; batch++)
        {
            kinds.Add((commit.Reused, commit.Succeeded));
            Assert.Equal(commit.FeatureStore is not null, commit.Reused > 0);
        }

        Assert.Contains(kinds, k => k.Reused == k.Succeeded);
        Assert.Contains(kinds, k => k.Reused == 0);
        Assert.Contains(kinds, k => k.Reused > 0 && k.Reused < k.Succeeded);

        using var summary = JsonDocument.Parse(File.ReadAllBytes(_temp.Combine("out-warm/summary.json")));
        Assert.Equal(PerLabel + 2, summary.RootElement.GetProperty("images_featurized").GetInt32());
        Assert.Equal((3 * PerLabel) - 2, summary.RootElement.GetProperty("images_reused").GetInt32());
        Assert.Equal(StorageLocation.Parse(store).Uri, summary.RootElement.GetProperty("feature_store").GetString());

        // The features each silo kept for its projections went with their jobs.
        Assert.All(fixture.Cluster.Silos.Cast<InProcessSiloHandle>(), silo => Assert.Equal(0, silo.SiloHost.Services.GetRequiredService<ProjectionFeatureCache>().Bytes));
    }

    [Fact]
    public async Task Two_concurrent_jobs_over_overlapping_folders_share_one_store_and_leave_it_consistent()
    {
        var staging = ImageSubset.CopyTo(_temp.Combine("staging"), labels: 3, PerLabel);
        var labels = Directory.GetDirectories(staging).Order(StringComparer.Ordinal).ToList();
        string Folder(string name, IEnumerable<string> from)
        {
            foreach (var label in from)
            {
                var target = Directory.CreateDirectory(Path.Combine(_temp.Combine(name), Path.GetFileName(label))).FullName;
                foreach (var file in Directory.GetFiles(label))
                {
                    File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
                }
            }

            return _temp.Combine(name);
        }

        var first = Folder("a", labels.Take(2));
        var second = Folder("b", labels.Skip(1));
        var store = _temp.Combine("store");

        var jobs = await Task.WhenAll(RunAsync(first, _temp.Combine("out-a"), store), RunAsync(second, _temp.Combine("out-b"), store));

        Assert.All(jobs, j => Assert.Equal(2 * PerLabel, j.Summary!.ImagesSucceeded));
        Assert.All(jobs, j => Assert.Equal(2 * PerLabel, j.Summary!.ImagesFeaturized + j.Summary.ImagesReused));
        using var db = new DuckDb();
        var a = Parts(_temp.Combine("out-a"));
        var b = Parts(_temp.Combine("out-b"));
        Assert.Equal(2 * PerLabel, db.Scalar<int>($"SELECT count(DISTINCT path) FROM {a} WHERE starts_with(path, {DuckDb.Quote(first + "/")})"));
        Assert.Equal(2 * PerLabel, db.Scalar<int>($"SELECT count(DISTINCT path) FROM {b} WHERE starts_with(path, {DuckDb.Quote(second + "/")})"));
        // The shared label's images have the same features in both outputs, wherever they came from.
        Assert.Equal(PerLabel, db.Scalar<int>($"""
            SELECT count(*) FROM {a} x JOIN {b} y ON replace(x.path, {DuckDb.Quote(first)}, '') = replace(y.path, {DuckDb.Quote(second)}, '')
            WHERE x.features = y.features
            """));

        // Afterwards a fresh reader finds every image, and each entry verifies and holds the features the jobs wrote.
        var images = Directory.GetFiles(first, "*.jpg", SearchOption.AllDirectories).Concat(Directory.GetFiles(second, "*.jpg", SearchOption.AllDirectories)).ToList();
        var stored = await ReadStoredAsync(store, jobs[0].Summary!.ModelSha256, images);
        var written = db.Rows($"SELECT path, features FROM {a} UNION ALL SELECT path, features FROM {b}")
            .ToDictionary(r => (string)r[0]!, r => ((System.Collections.IList)r[1]!).Cast<float>().ToArray());
        for (var i = 0; i < images.Count; i++)
        {
            Assert.True(stored.AsSpan(i * 1280, 1280).SequenceEqual(written[images[i]]), $"{images[i]}: stored features differ from the output's");
        }
    }

    /// <summary>
    /// A rerun over stored images writes work parts that point into the store instead of holding features. If a
    /// segment they point at goes before the output is finished, the resumed job featurizes that batch again rather
    /// than trusting the part, and its output is exact.
    /// </summary>
    [Fact]
    public async Task A_resumed_job_featurizes_again_a_batch_whose_stored_features_are_gone()
    {
        var photos = ImageSubset.CopyTo(_temp.Combine("photos"), labels: 3, PerLabel);
        var store = _temp.Combine("store");
        await RunAsync(photos, _temp.Combine("out-cold"), store);
        var output = _temp.Combine("out-warm");
        Assert.Equal((0, 3 * PerLabel), Counts(await RunAsync(photos, output, store)));

        var parts = new LocalObjectStore(output);
        var commits = new List<BatchCommit>();
        for (var batch = 0; batch < 3; batch++)
        {
            commits.Add(await FeatureParts.TryReadCommitAsync(parts, OutputLayout.FeaturesPart(batch)) ?? throw new InvalidOperationException($"batch {batch} has no commit"));
        }

        Assert.All(commits, c => Assert.True(c.FeatureStore is not null && c.Reused == PerLabel, $"{c} does not point into the store"));

        // The output is left unfinished, as by a job that died before its last step, and one batch's segment is lost.
        File.Delete(Path.Combine(output, OutputLayout.Success));
        var lost = commits[1].Segments.Single();
        File.Delete(Path.Combine(commits[1].FeatureStore!, FeatureStoreLayout.Segment(lost)));

        // Misses are stored gathered per silo, so another batch may point into the same segment and lose its
        // features with it.
        var losing = Enumerable.Range(0, 3).Where(b => commits[b].Segments.Contains(lost)).ToList();
        Assert.Contains(1, losing);

        var resumed = await RunAsync(photos, output, store);

        Assert.Equal(3 - losing.Count, resumed.Summary!.BatchesResumed);
        Assert.Equal((losing.Count * PerLabel, (3 - losing.Count) * PerLabel), Counts(resumed));

        // The featurized images are stored again: in the lost segment itself when the resumed job gathered the same
        // rows in the same order, else in another, and then the lost one's own index file still names them. Without
        // that file, a fresh reader finds each image in a segment that reads.
        if (!File.Exists(Path.Combine(commits[1].FeatureStore!, FeatureStoreLayout.Segment(lost))))
        {
            File.Delete(Path.Combine(commits[1].FeatureStore!, FeatureStoreLayout.Index(lost)));
        }

        await ReadStoredAsync(store, resumed.Summary.ModelSha256, Directory.GetFiles(photos, "*.jpg", SearchOption.AllDirectories));
        foreach (var batch in losing)
        {
            Assert.Null((await FeatureParts.TryReadCommitAsync(parts, OutputLayout.FeaturesPart(batch)))!.FeatureStore);
        }

        AssertSameOutput(output, _temp.Combine("out-cold"), 3 * PerLabel);
    }

    /// <summary>
    /// New photos arrive in every folder of a finished job's input. The rerun cuts them into batches of their own, the
    /// images the store holds into others, so no batch runs a handful of images through the model beside its store
    /// reads; the output is still a from-scratch run's.
    /// </summary>
    [Fact]
    public async Task New_images_spread_over_the_folders_are_featurized_in_batches_of_their_own()
    {
        const int Arriving = 3;
        var staging = ImageSubset.CopyTo(_temp.Combine("staging"), labels: 3, PerLabel + Arriving);
        var photos = Directory.CreateDirectory(_temp.Combine("photos")).FullName;
        var arrivals = new List<(string From, string To)>();
        foreach (var label in Directory.GetDirectories(staging))
        {
            var target = Directory.CreateDirectory(Path.Combine(photos, Path.GetFileName(label))).FullName;
            var files = Directory.GetFiles(label).Order(StringComparer.Ordinal).ToList();
            foreach (var file in files.Take(PerLabel))
            {
                File.Move(file, Path.Combine(target, Path.GetFileName(file)));
            }

            arrivals.AddRange(files.Skip(PerLabel).Select(f => (f, Path.Combine(target, Path.GetFileName(f)))));
        }

        var store = _temp.Combine("store");
        await RunAsync(photos, _temp.Combine("out-cold"), store);

        // One batch's worth of new images, listed among the old ones of every label.
        foreach (var (from, to) in arrivals.Take(BatchSize))
        {
            File.Move(from, to);
        }

        var grown = await RunAsync(photos, _temp.Combine("out-grown"), store);
        Assert.Equal((BatchSize, 3 * PerLabel), Counts(grown));

        var workParts = new LocalObjectStore(_temp.Combine("out-grown"));
        var commits = new List<BatchCommit>();
        for (var batch = 0; batch < grown.BatchesTotal; batch++)
        {
            commits.Add(await FeatureParts.TryReadCommitAsync(workParts, OutputLayout.FeaturesPart(batch)) ?? throw new InvalidOperationException($"batch {batch} has no commit"));
        }

        Assert.All(commits, c => Assert.True(c.Reused == 0 || c.Reused == c.Succeeded, $"a batch mixes stored and new images: {c}"));
        Assert.Equal(BatchSize, commits.Single(c => c.Reused == 0).Succeeded);

        var scratch = _temp.Combine("out-scratch");
        await RunAsync(photos, scratch, featureStore: null);
        AssertSameOutput(_temp.Combine("out-grown"), scratch, (3 * PerLabel) + BatchSize);
    }

    /// <summary>
    /// An image is judged unchanged, as rsync and make judge files, by what its listing gives: here its size and
    /// modification time (on S3, its ETag). A rerun reads no image whose listing is unchanged. So bytes swapped for
    /// others of the same length under the old modification time keep the stored features, which shows they were not
    /// read; a new modification time has the image read, and featurized by its new bytes.
    /// </summary>
    [Fact]
    public async Task A_rerun_reads_no_image_whose_listing_is_unchanged_and_reads_one_with_a_new_modification_time()
    {
        var photos = ImageSubset.CopyTo(_temp.Combine("photos"), labels: 2, PerLabel);
        var store = _temp.Combine("store");
        Assert.Equal((2 * PerLabel, 0), Counts(await RunAsync(photos, _temp.Combine("out-cold"), store)));

        var files = Directory.GetFiles(photos, "*.jpg", SearchOption.AllDirectories);
        var victim = files.MaxBy(f => new FileInfo(f).Length)!;
        var donor = files.MinBy(f => new FileInfo(f).Length)!;
        var size = new FileInfo(victim).Length;
        Assert.True(new FileInfo(donor).Length < size, "the test needs two images of different sizes");
        var modified = File.GetLastWriteTimeUtc(victim);
        var bytes = File.ReadAllBytes(donor);
        Array.Resize(ref bytes, checked((int)size)); // a JPEG decoder stops at its end marker; the zeros after it are ignored
        File.WriteAllBytes(victim, bytes);
        File.SetLastWriteTimeUtc(victim, modified);

        Assert.Equal((0, 2 * PerLabel), Counts(await RunAsync(photos, _temp.Combine("out-same"), store)));
        File.SetLastWriteTimeUtc(victim, modified.AddSeconds(1));
        Assert.Equal((1, (2 * PerLabel) - 1), Counts(await RunAsync(photos, _temp.Combine("out-touched"), store)));

        using var db = new DuckDb();
        string Features(string output) =>
            db.Scalar<string>($"SELECT features::VARCHAR FROM {Parts(_temp.Combine(output))} WHERE path = {DuckDb.Quote(victim)}");
        Assert.Equal(Features("out-cold"), Features("out-same"));
        Assert.NotEqual(Features("out-cold"), Features("out-touched"));
        AssertSameOutput(_temp.Combine("out-same"), _temp.Combine("out-cold"), 2 * PerLabel);
    }

    /// <summary>
    /// A rerun over exactly the rows of an earlier job takes that job's statistics, and its fit for the same selection,
    /// from the store; another selection is fitted from them and kept. A damaged entry is never taken. And where the
    /// rows featurized are not those the store predicted (bytes swapped under an unchanged listing, their stored
    /// features gone), the statistics are computed from the parts: the output is a from-scratch run's.
    /// </summary>
    [Fact]
    public async Task A_rerun_over_the_same_rows_reuses_their_statistics_and_never_trusts_them_for_other_rows()
    {
        var photos = ImageSubset.CopyTo(_temp.Combine("photos"), labels: 2, PerLabel);
        var store = _temp.Combine("store");
        var cold = await RunAsync(photos, _temp.Combine("out-cold"), store);
        Assert.Equal(0, cold.Summary!.StatisticsRowsReused);
        var kept = Directory.GetFiles(Path.Combine(StoreNamespace(store), "statistics"), "*", SearchOption.AllDirectories);
        Assert.Equal([".json", ".moments", ".rows"], kept.Select(Path.GetExtension).Order(StringComparer.Ordinal));

        // The same rows: the statistics and the fit are the cold job's, to the bit.
        var again = await RunAsync(photos, _temp.Combine("out-again"), store);
        Assert.Equal(2 * PerLabel, again.Summary!.StatisticsRowsReused);
        Assert.Equal(File.ReadAllBytes(_temp.Combine("out-cold/pca_model.json")), File.ReadAllBytes(_temp.Combine("out-again/pca_model.json")));
        Assert.Equal(File.ReadAllBytes(_temp.Combine("out-cold/_work/moments.bin")), File.ReadAllBytes(_temp.Combine("out-again/_work/moments.bin")));
        AssertSameOutput(_temp.Combine("out-again"), _temp.Combine("out-cold"), 2 * PerLabel);

        // Another selection: the same statistics, a fit of its own, kept beside the first.
        var three = await RunAsync(photos, _temp.Combine("out-k3"), store, fixedK: 3);
        Assert.Equal(2 * PerLabel, three.Summary!.StatisticsRowsReused);
        Assert.Equal(3, three.Summary.K);
        Assert.Equal(4, Directory.GetFiles(Path.Combine(StoreNamespace(store), "statistics"), "*", SearchOption.AllDirectories).Length);

        // A damaged entry is computed again, and replaced.
        var moments = kept.Single(k => k.EndsWith(".moments", StringComparison.Ordinal));
        var damaged = File.ReadAllBytes(moments);
        damaged[damaged.Length / 3] ^= 0x08;
        File.WriteAllBytes(moments, damaged);
        var recomputed = await RunAsync(photos, _temp.Combine("out-recomputed"), store);
        Assert.Equal(0, recomputed.Summary!.StatisticsRowsReused);
        AssertSameOutput(_temp.Combine("out-recomputed"), _temp.Combine("out-cold"), 2 * PerLabel);
        Assert.Equal(File.ReadAllBytes(_temp.Combine("out-cold/_work/moments.bin")).Length, File.ReadAllBytes(moments).Length);
        Assert.Equal(2 * PerLabel, (await RunAsync(photos, _temp.Combine("out-after"), store)).Summary!.StatisticsRowsReused);

        // The listing predicts the old rows, but one image has other bytes of the same size under its old modification
        // time, and the store's segments no longer read, so every image is read and hashed again.
        var files = Directory.GetFiles(photos, "*.jpg", SearchOption.AllDirectories);
        var victim = files.MaxBy(f => new FileInfo(f).Length)!;
        var donor = files.MinBy(f => new FileInfo(f).Length)!;
        var modified = File.GetLastWriteTimeUtc(victim);
        var bytes = File.ReadAllBytes(donor);
        Array.Resize(ref bytes, checked((int)new FileInfo(victim).Length)); // a JPEG decoder stops at its end marker
        File.WriteAllBytes(victim, bytes);
        File.SetLastWriteTimeUtc(victim, modified);
        foreach (var segment in Directory.GetFiles(Path.Combine(StoreNamespace(store), "segments"), "*.parquet", SearchOption.AllDirectories))
        {
            File.WriteAllBytes(segment, "not a segment"u8.ToArray());
        }

        var changed = await RunAsync(photos, _temp.Combine("out-changed"), store);
        var scratch = await RunAsync(photos, _temp.Combine("out-scratch"), featureStore: null);
        Assert.Equal((2 * PerLabel, 0), Counts(changed));
        Assert.Equal(0, changed.Summary!.StatisticsRowsReused);
        AssertSameOutput(_temp.Combine("out-changed"), _temp.Combine("out-scratch"), 2 * PerLabel);
        Assert.NotEqual(File.ReadAllBytes(_temp.Combine("out-cold/_work/moments.bin")), File.ReadAllBytes(_temp.Combine("out-changed/_work/moments.bin")));
    }

    /// <summary>
    /// Statistics are sums over rows: a folder that only grew takes the statistics kept for its old rows and adds
    /// just the new ones, and its output is a from-scratch run's. Once an old image is gone, the kept rows are no
    /// longer all the job's, and nothing is taken.
    /// </summary>
    [Fact]
    public async Task A_grown_folder_adds_only_its_new_rows_to_the_statistics_kept_for_its_old_ones()
    {
        var staging = ImageSubset.CopyTo(_temp.Combine("staging"), labels: 3, PerLabel);
        var photos = Directory.CreateDirectory(_temp.Combine("photos")).FullName;
        var labels = Directory.GetDirectories(staging).Order(StringComparer.Ordinal).ToList();
        Directory.Move(labels[0], Path.Combine(photos, Path.GetFileName(labels[0])));
        Directory.Move(labels[2], Path.Combine(photos, Path.GetFileName(labels[2])));
        var store = _temp.Combine("store");
        Assert.Equal(0, (await RunAsync(photos, _temp.Combine("out-cold"), store)).Summary!.StatisticsRowsReused);

        // A label arrives between the two old ones: every batch after it is cut differently.
        Directory.Move(labels[1], Path.Combine(photos, Path.GetFileName(labels[1])));
        var grown = await RunAsync(photos, _temp.Combine("out-grown"), store);
        var scratch = await RunAsync(photos, _temp.Combine("out-scratch"), featureStore: null);
        Assert.Equal((PerLabel, 2 * PerLabel), Counts(grown));
        Assert.Equal(2 * PerLabel, grown.Summary!.StatisticsRowsReused);
        AssertSameOutput(_temp.Combine("out-grown"), _temp.Combine("out-scratch"), 3 * PerLabel);
        Assert.Equal(3 * PerLabel, (await RunAsync(photos, _temp.Combine("out-again"), store)).Summary!.StatisticsRowsReused);

        File.Delete(Directory.GetFiles(Path.Combine(photos, Path.GetFileName(labels[0]))).Order(StringComparer.Ordinal).First());
        var shrunk = await RunAsync(photos, _temp.Combine("out-shrunk"), store);
        Assert.Equal((0, (3 * PerLabel) - 1), Counts(shrunk));
        Assert.Equal(0, shrunk.Summary!.StatisticsRowsReused);
    }

    public void Dispose() => _temp.Dispose();

    private async Task<JobStatus> RunAsync(string input, string output, string? featureStore, long partSizeBytes = 0, int? fixedK = null)
    {
        var spec = new JobSpec(StorageLocation.Parse(input).ToContract(), StorageLocation.Parse(output).ToContract(), new PcaSelectionData(0.75, fixedK), BatchSize,
            FeatureStore: featureStore is null ? null : StorageLocation.Parse(featureStore).ToContract(), NoFeatureStore: featureStore is null, PartSizeBytes: partSizeBytes);
        var status = await fixture.RunJobAsync($"reuse-{Guid.NewGuid():N}", spec, JobTimeout);
        Assert.True(status.Phase == JobPhase.Completed, $"job ended {status.Phase}: {status.Error}");
        return status;
    }

    /// <summary>The store's folder for the test model and this preprocessing.</summary>
    private static string StoreNamespace(string store) =>
        Directory.GetDirectories(Directory.GetDirectories(store).Single(d => Path.GetFileName(d).Length == 64), $"preprocessing-{ImagePreprocessor.Version}").Single();

    /// <summary>
    /// What a fresh reader of the store finds for <paramref name="images"/>: each must be indexed, and its entry must
    /// verify and read. Returns their features, row by row.
    /// </summary>
    private static async Task<float[]> ReadStoredAsync(string store, string modelSha256, IReadOnlyList<string> images)
    {
        var space = new FeatureStore(new LocalObjectStore(FeatureStoreLocation.Namespace(StorageLocation.Parse(store), new FeatureStoreKey(modelSha256, ImagePreprocessor.Version)).Uri));
        var index = new FeatureStoreIndex();
        await space.RefreshAsync(index);
        var hits = images.Select((file, row) =>
        {
            var hash = ContentHash.Of(File.ReadAllBytes(file));
            Assert.True(index.TryFind(hash, out var entry), $"{file} is not in the store");
            return new FeatureStoreHit(hash, entry, row);
        }).ToList();
        var stored = new float[images.Count * 1280];
        Assert.Empty(await space.ReadAsync(hits, stored, 1280));
        return stored;
    }

    private static (int Featurized, int Reused) Counts(JobStatus status) => (status.Summary!.ImagesFeaturized, status.Summary.ImagesReused);

    private static string Parts(string output) => $"read_parquet({DuckDb.Quote(Path.Combine(output, "part-*.parquet"))})";

    /// <summary>Same rows and identical features; the same k, and PCA and projection equal within float tolerance.</summary>
    private static void AssertSameOutput(string actual, string expected, int images)
    {
        using var db = new DuckDb();
        var a = Parts(actual);
        var e = Parts(expected);
        Assert.Equal(images, db.Scalar<int>($"SELECT count(*) FROM {a}"));
        Assert.Equal(images, db.Scalar<int>($"SELECT count(*) FROM {e}"));
        Assert.Equal(images, db.Scalar<int>($"SELECT count(*) FROM {a} x JOIN {e} y ON x.path = y.path AND x.label = y.label AND x.features = y.features"));

        var actualModel = PcaModelJson.Deserialize(File.ReadAllBytes(Path.Combine(actual, "pca_model.json")));
        var expectedModel = PcaModelJson.Deserialize(File.ReadAllBytes(Path.Combine(expected, "pca_model.json")));
        Assert.Equal(expectedModel.K, actualModel.K);
        Assert.Equal(expectedModel.Count, actualModel.Count);
        for (var i = 0; i < expectedModel.K; i++)
        {
            Assert.True(Math.Abs(expectedModel.ExplainedVarianceRatio[i] - actualModel.ExplainedVarianceRatio[i]) < 1e-6, $"ratio {i}");
        }

        // Components are defined up to sign; |projection| is not.
        var worst = db.Scalar<double>($"""
            SELECT max(abs(abs(x.pca_features[i]) - abs(y.pca_features[i])))
            FROM {a} x JOIN {e} y USING (path), range(1, {expectedModel.K + 1}) r(i)
            """);
        Assert.True(worst < 1e-3, $"projections differ by up to {worst}");
    }
}
