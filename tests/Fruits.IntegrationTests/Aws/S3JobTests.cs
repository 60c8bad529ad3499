using Amazon.S3.Model;
using Fruits.Grains;
using Fruits.Grains.Interfaces;
using Fruits.Pipeline.Output;
using Fruits.Pipeline.Statistics;
using Fruits.Pipeline.Storage;
using Fruits.IntegrationTests.EndToEnd;

namespace Fruits.IntegrationTests.Aws;

[Collection(S3Collection.Name)]
public sealed class S3JobTests(S3ClusterFixture fixture) : IDisposable
{
    private readonly TempDirectory _temp = new();

    [Fact]
    public async Task S3_input_and_output_give_the_same_rows_and_features_as_local()
    {
        var input = ImageSubset.CopyTo(_temp.Combine("input"), labels: 10, perLabel: 20);
        const string bucket = "fruits-s3-equivalence";
        await fixture.S3.PutBucketAsync(bucket);
        await fixture.UploadFolderAsync(input, bucket, "in");
        var s3Input = $"s3://{bucket}/in";

        // Each job uses the default feature store beside its output: the first local and the first S3 job fill theirs,
        // the later ones take every image's features from them (through S3 for local-s3).
        var runs = new (string Name, string Input, string Output, int Reused)[]
        {
            ("local-local", input, _temp.Combine("out-local"), 0),
            ("s3-s3", s3Input, $"s3://{bucket}/out-s3", 0),
            ("s3-local", s3Input, _temp.Combine("out-s3-local"), 200),
            ("local-s3", input, $"s3://{bucket}/out-local-s3", 200),
        };

        var results = new Dictionary<string, Dictionary<string, float[]>>();
        foreach (var (name, from, to, reused) in runs)
        {
            var spec = new JobSpec(StorageLocation.Parse(from).ToContract(), StorageLocation.Parse(to).ToContract(), new PcaSelectionData(0.75), BatchSize: 32);
            var status = await fixture.Cluster.RunJobAsync($"s3-{name}", spec, TimeSpan.FromMinutes(5));
            Assert.True(status.Phase == JobPhase.Completed, $"{name} ended {status.Phase}: {status.Error}");
            Assert.Equal(200, status.Summary!.ImagesSucceeded);
            Assert.Equal(reused, status.Summary.ImagesReused);

            var local = to;
            if (to.StartsWith("s3://", StringComparison.Ordinal))
            {
                local = _temp.Combine("download-" + name);
                await fixture.DownloadPrefixAsync(bucket, to[$"s3://{bucket}/".Length..], local);
            }

            Assert.True(File.Exists(Path.Combine(local, "_SUCCESS")), $"{name}: no _SUCCESS");
            Assert.False(File.Exists(Path.Combine(local, "_job", "lock.json")), $"{name}: the lock outlived the job's end");
            results[name] = ReadFeatures(local, from);
        }

        var reference = results["local-local"];
        Assert.Equal(200, reference.Count);
        foreach (var (name, rows) in results)
        {
            Assert.Equal(reference.Keys.Order(StringComparer.Ordinal), rows.Keys.Order(StringComparer.Ordinal));
            foreach (var (key, features) in reference)
            {
                Assert.True(features.AsSpan().SequenceEqual(rows[key]), $"{name}: features of {key} differ from local-local");
            }
        }
    }

    [Fact]
    public async Task A_refit_of_an_s3_output_starts_from_its_kept_statistics_and_finishes_a_new_s3_output()
    {
        const string bucket = "fruits-s3-refit";
        await fixture.S3.PutBucketAsync(bucket);
        var input = ImageSubset.CopyTo(_temp.Combine("input"), labels: 4, perLabel: 10);
        var spec = new JobSpec(StorageLocation.Parse(input).ToContract(), StorageLocation.Parse($"s3://{bucket}/out").ToContract(), new PcaSelectionData(0.75), BatchSize: 16, NoFeatureStore: true);
        var status = await fixture.Cluster.RunJobAsync("s3-refit", spec, TimeSpan.FromMinutes(3));
        Assert.True(status.Phase == JobPhase.Completed, $"ended {status.Phase}: {status.Error}");

        var source = new S3ObjectStore(fixture.S3, bucket, "out", new S3StorageOptions());
        var kept = await OutputMoments.TryReadAsync(source, 40);
        Assert.NotNull(kept);
        // Planted statistics of the same count: only a refit that starts from what is kept fits them.
        var planted = MomentStatistics.FromRows(Enumerable.Range(0, 40 * kept.Dimension).Select(i => (float)((i * 7919 % 1000) / 1000.0)).ToArray(), 40, kept.Dimension);
        await OutputMoments.WriteAsync(source, planted);
        var destination = new S3ObjectStore(fixture.S3, bucket, "refit", new S3StorageOptions());
        var refit = new OutputRefit(source, destination);

        var summary = await refit.RunAsync(new PcaSelection(FixedK: 3), await refit.CheckAsync());

        Assert.Equal(3, summary.K);
        var local = _temp.Combine("refit");
        await fixture.DownloadPrefixAsync(bucket, "refit", local);
        Assert.True(File.Exists(Path.Combine(local, "_SUCCESS")));
        var model = PcaModelJson.Deserialize(await File.ReadAllBytesAsync(Path.Combine(local, "pca_model.json")));
        var expected = new PcaFitter().Fit(planted, new PcaSelection(FixedK: 3));
        Assert.All(Enumerable.Range(0, 3), c => Assert.Equal(expected.Eigenvalues[c], model.Eigenvalues[c], 1e-9 * expected.Eigenvalues[0]));
        Assert.Equal(OutputMoments.Serialize(planted), await File.ReadAllBytesAsync(Path.Combine(local, "_work", "moments.bin")));
        using var db = new DuckDb();
        var parts = DuckDb.Quote(Path.Combine(local, "part-*.parquet"));
        Assert.Equal(40, db.Scalar<int>($"SELECT count(DISTINCT path) FROM read_parquet({parts}) WHERE len(pca_features) = 3 AND len(features) = {kept.Dimension}"));
    }

    [Fact]
    public async Task Missing_bucket_stops_the_job_before_any_work()
    {
        var spec = new JobSpec(StorageLocation.Parse("s3://no-such-bucket-here/in").ToContract(), StorageLocation.Parse(_temp.Combine("out")).ToContract(), new PcaSelectionData(), 16);
        var error = await Assert.ThrowsAnyAsync<Exception>(() => fixture.Cluster.Cluster.GrainFactory.GetGrain<IJobGrain>("s3-missing-bucket").Start(spec));
        Assert.Contains("bucket 'no-such-bucket-here' does not exist", error.Message);
        Assert.False(Directory.Exists(_temp.Combine("out/_work")));
    }

    [Fact]
    public void Bad_s3_uri_is_refused_with_one_readable_line()
    {
        var error = Assert.Throws<StorageException>(() => StorageLocation.Parse("s3://Bad_Bucket/x"));
        Assert.Contains("not a valid S3 location", error.Message);
        Assert.DoesNotContain('\n', error.Message);
        Assert.Throws<StorageException>(() => StorageLocation.Parse("gs://bucket/x"));
    }

    [Fact]
    public async Task An_unreadable_object_is_recorded_and_the_job_goes_on()
    {
        const string bucket = "fruits-s3-broken";
        await fixture.S3.PutBucketAsync(bucket);
        var input = ImageSubset.CopyTo(_temp.Combine("input"), labels: 2, perLabel: 10);
        await fixture.UploadFolderAsync(input, bucket, "in");
        await fixture.S3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "in/Broken/not-an-image.jpg", ContentBody = "<html>nope</html>" });

        var spec = new JobSpec(StorageLocation.Parse($"s3://{bucket}/in").ToContract(), StorageLocation.Parse(_temp.Combine("out")).ToContract(), new PcaSelectionData(0.75), 8);
        var status = await fixture.Cluster.RunJobAsync("s3-broken", spec, TimeSpan.FromMinutes(3));

        Assert.True(status.Phase == JobPhase.Completed, $"ended {status.Phase}: {status.Error}");
        Assert.Equal(20, status.Summary!.ImagesSucceeded);
        Assert.Equal(1, status.Summary.ImagesFailed);
        using var db = new DuckDb();
        var errors = db.Rows($"SELECT path, reason FROM read_parquet({DuckDb.Quote(_temp.Combine("out/errors.parquet"))})");
        var row = Assert.Single(errors);
        Assert.Equal($"s3://{bucket}/in/Broken/not-an-image.jpg", row[0]);
        Assert.False(string.IsNullOrWhiteSpace((string?)row[1]));
    }

    /// <summary>Features keyed by the image's path relative to the job's input root.</summary>
    private static Dictionary<string, float[]> ReadFeatures(string output, string inputRoot)
    {
        using var db = new DuckDb();
        return db.Rows($"SELECT path, features FROM read_parquet({DuckDb.Quote(Path.Combine(output, "part-*.parquet"))})")
            .ToDictionary(
                r => ((string)r[0]!)[(inputRoot.TrimEnd('/').Length + 1)..],
                r => ((System.Collections.IList)r[1]!).Cast<float>().ToArray());
    }

    public void Dispose() => _temp.Dispose();
}
