using Amazon.S3;
using Amazon.S3.Model;
using Fruits.Grains;
using Fruits.Grains.Interfaces;
using Fruits.Pipeline.Imaging;
using Fruits.Pipeline.Reuse;
using Fruits.Pipeline.Statistics;
using Fruits.Pipeline.Storage;
using Fruits.IntegrationTests.EndToEnd;
using Microsoft.Extensions.Options;

namespace Fruits.IntegrationTests.Aws;

/// <summary>S3 that throttles or refuses: retries carry a job through; a refusal stops it with one line.</summary>
public sealed class S3FaultTests : IAsyncLifetime
{
    private const string Bucket = "fruits-faults";
    private readonly TempDirectory _temp = new();
    private MotoServer _moto = null!;
    private FaultyS3Proxy _proxy = null!;
    private TwoSiloClusterFixture _cluster = null!;
    private string? _previousEndpoint;
    private Func<int, (int, string)?> _fault = _ => null;
    private Func<string, string, (int, string)?> _requestFault = (_, _) => null;

    public async Task InitializeAsync()
    {
        _moto = await MotoServer.StartAsync();
        _moto.UseForThisProcess();
        _proxy = new FaultyS3Proxy(_moto.Endpoint, (ordinal, method, url) => _fault(ordinal) ?? _requestFault(method, url));
        // The silos' S3 client is created from the default chain, which this endpoint variable is part of.
        _previousEndpoint = Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL_S3");
        Environment.SetEnvironmentVariable("AWS_ENDPOINT_URL_S3", _proxy.Endpoint);
        _cluster = new TwoSiloClusterFixture();
        await _cluster.InitializeAsync();

        using var s3 = new AmazonS3Client(new AmazonS3Config { ServiceURL = _moto.Endpoint, ForcePathStyle = true });
        await s3.PutBucketAsync(Bucket);
        var input = ImageSubset.CopyTo(_temp.Combine("input"), labels: 4, perLabel: 20);
        foreach (var file in Directory.EnumerateFiles(input, "*", SearchOption.AllDirectories))
        {
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = Bucket, Key = "in/" + Path.GetRelativePath(input, file), FilePath = file });
        }
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        Environment.SetEnvironmentVariable("AWS_ENDPOINT_URL_S3", _previousEndpoint);
        await _proxy.DisposeAsync();
        await _moto.DisposeAsync();
        _temp.Dispose();
    }

    [Fact]
    public async Task A_job_survives_throttling_on_every_fourth_request()
    {
        _fault = ordinal => FaultyS3Proxy.Throttle(ordinal, every: 4);
        var spec = new JobSpec(StorageLocation.Parse($"s3://{Bucket}/in").ToContract(), StorageLocation.Parse($"s3://{Bucket}/out-throttled").ToContract(), new PcaSelectionData(0.75), 16);

        var status = await _cluster.RunJobAsync("s3-throttled", spec, TimeSpan.FromMinutes(5));

        Assert.True(status.Phase == JobPhase.Completed, $"ended {status.Phase}: {status.Error}");
        Assert.Equal(80, status.Summary!.ImagesSucceeded);
        Assert.Equal(0, status.Summary.ImagesFailed);
        Assert.True(_proxy.Faults > 20, $"only {_proxy.Faults} of {_proxy.Requests} requests were throttled");

        // The feature store beside the output was written through the same throttling: read back past the proxy, every
        // image is found and every entry verifies.
        using var direct = new ObjectStoreFactory(Options.Create(new S3StorageOptions { ServiceUrl = _moto.Endpoint }));
        var space = new FeatureStore(direct.Open(FeatureStoreLocation.Namespace(
            new StorageLocation($"s3://{Bucket}/{FeatureStoreLocation.DefaultName}"), new FeatureStoreKey(status.Summary.ModelSha256, ImagePreprocessor.Version))));
        var index = new FeatureStoreIndex();
        await space.RefreshAsync(index);
        var images = Directory.GetFiles(_temp.Combine("input"), "*.jpg", SearchOption.AllDirectories);
        var hits = images.Select((file, row) =>
        {
            var hash = ContentHash.Of(File.ReadAllBytes(file));
            Assert.True(index.TryFind(hash, out var entry), $"{file} is not in the store");
            return new FeatureStoreHit(hash, entry, row);
        }).ToList();
        Assert.Empty(await space.ReadAsync(hits, new float[images.Length * 1280], 1280));
    }

    /// <summary>
    /// A rerun over S3 objects whose ETags are unchanged finds each image's features by its listed version: with every
    /// GET of an input object refused, it completes with every image reused, and not one of those GETs was tried.
    /// </summary>
    [Fact]
    public async Task A_rerun_over_unchanged_objects_gets_none_of_them()
    {
        var input = StorageLocation.Parse($"s3://{Bucket}/in").ToContract();
        var first = await _cluster.RunJobAsync("s3-first", new JobSpec(input, StorageLocation.Parse($"s3://{Bucket}/out-first").ToContract(), new PcaSelectionData(0.75), 16), TimeSpan.FromMinutes(5));
        Assert.True(first.Phase == JobPhase.Completed, $"ended {first.Phase}: {first.Error}");
        Assert.Equal(80, first.Summary!.ImagesFeaturized);

        _requestFault = (method, url) => method == "GET" && url.StartsWith($"/{Bucket}/in/", StringComparison.Ordinal) ? (403, "AccessDenied") : null;
        var refused = _proxy.Faults;
        var rerun = await _cluster.RunJobAsync("s3-rerun", new JobSpec(input, StorageLocation.Parse($"s3://{Bucket}/out-rerun").ToContract(), new PcaSelectionData(0.75), 16), TimeSpan.FromMinutes(5));

        Assert.True(rerun.Phase == JobPhase.Completed, $"ended {rerun.Phase}: {rerun.Error}");
        Assert.Equal((80, 0, 0, 80), (rerun.Summary!.ImagesSucceeded, rerun.Summary.ImagesFailed, rerun.Summary.ImagesFeaturized, rerun.Summary.ImagesReused));
        Assert.Equal(refused, _proxy.Faults);
    }

    [Fact]
    public async Task Access_denied_stops_the_job_before_any_work()
    {
        _fault = _ => (403, "AccessDenied");
        var spec = new JobSpec(StorageLocation.Parse($"s3://{Bucket}/in").ToContract(), StorageLocation.Parse(_temp.Combine("out-denied")).ToContract(), new PcaSelectionData(0.75), 16);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => _cluster.Cluster.GrainFactory.GetGrain<IJobGrain>("s3-denied").Start(spec));

        Assert.Equal($"s3://{Bucket}/in: access denied", error.Message);
        Assert.False(Directory.Exists(_temp.Combine("out-denied/_job")));
    }
}
