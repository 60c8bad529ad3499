using System.Net;
using System.Net.Sockets;
using System.Text;
using Amazon.S3.Model;
using Fruits.Pipeline.Output;
using Fruits.Pipeline.Reuse;
using Fruits.Pipeline.Storage;
using Fruits.IntegrationTests.Output;

namespace Fruits.IntegrationTests.Aws;

/// <summary>The S3 store's create-new, conditional delete, footer reads and error classes against moto_server.</summary>
public sealed class S3StoreSafetyTests(MotoS3StoreFixture moto) : IClassFixture<MotoS3StoreFixture>
{
    [Fact]
    public async Task Create_new_is_if_none_match_and_never_replaces()
    {
        var (store, bucket) = await moto.NewStoreAsync();
        Assert.True(await store.TryCreateNewAsync("_job/lock.json", Encoding.UTF8.GetBytes("first")));
        Assert.False(await store.TryCreateNewAsync("_job/lock.json", Encoding.UTF8.GetBytes("second")));

        using var object1 = await moto.S3.GetObjectAsync(bucket, "out/_job/lock.json");
        Assert.Equal("first", await new StreamReader(object1.ResponseStream).ReadToEndAsync());
    }

    [Fact]
    public async Task Conditional_delete_removes_only_the_version_that_was_read()
    {
        var (store, _) = await moto.NewStoreAsync();
        await store.WriteAsync("lock.json", Encoding.UTF8.GetBytes("old"));
        var old = await store.TryReadVersionedAsync("lock.json", 1000);
        await store.WriteAsync("lock.json", Encoding.UTF8.GetBytes("new"));

        Assert.False(await store.TryDeleteIfMatchAsync("lock.json", old!.MatchTag));
        Assert.True(await store.ExistsAsync("lock.json"));
        var current = await store.TryReadVersionedAsync("lock.json", 1000);
        Assert.Equal("new", Encoding.UTF8.GetString(current!.Content));
        Assert.True(await store.TryDeleteIfMatchAsync("lock.json", current.MatchTag));
        Assert.False(await store.TryDeleteIfMatchAsync("lock.json", current.MatchTag));
        Assert.Null(await store.TryReadVersionedAsync("lock.json", 1000));
    }

    [Fact]
    public async Task Lock_acquire_resume_refuse_and_release() =>
        await OutputLockScenarios.AcquireResumeRefuseAndReleaseAsync((await moto.NewStoreAsync()).Store);

    [Fact]
    public async Task Of_concurrent_lock_acquirers_exactly_one_wins() =>
        await OutputLockScenarios.ExactlyOneConcurrentAcquirerWinsAsync((await moto.NewStoreAsync()).Store);

    [Fact]
    public async Task Of_two_takers_of_a_stale_lock_exactly_one_wins() =>
        await OutputLockScenarios.ExactlyOneTakerOfAStaleLockWinsAsync((await moto.NewStoreAsync()).Store);

    [Fact]
    public async Task Take_over_leaves_a_fresh_lock_alone() =>
        await OutputLockScenarios.TakeOverLeavesAFreshLockAloneAsync((await moto.NewStoreAsync()).Store);

    [Fact]
    public async Task Listing_and_info_carry_the_etag_as_version()
    {
        var (store, _) = await moto.NewStoreAsync();
        await store.WriteAsync("in/a.jpg", new byte[] { 1, 2, 3 });
        var listed = Assert.Single(await store.ListAsync("in/").ToListAsync());
        var info = await store.TryGetInfoAsync("in/a.jpg");

        Assert.NotNull(listed.Version);
        Assert.Equal(listed, info);
        Assert.Null(await store.TryGetInfoAsync("in/b.jpg"));
        await store.WriteAsync("in/a.jpg", new byte[] { 3, 2, 1 });
        Assert.NotEqual(listed.Version, (await store.TryGetInfoAsync("in/a.jpg"))!.Value.Version);
    }

    [Fact]
    public async Task Listing_and_info_carry_the_time_of_the_last_write_and_kept_statistics_go_oldest_first()
    {
        var (store, bucket) = await moto.NewStoreAsync();
        var memo = new StatisticsMemo(store);
        var older = RowsFingerprint.Of([RowsFingerprint.OfBatch([1])])!;
        var newer = RowsFingerprint.Of([RowsFingerprint.OfBatch([2])])!;
        await memo.WriteRowsAsync(older, [1]);
        var first = Assert.Single(await store.ListAsync(StatisticsMemo.Prefix).ToListAsync());
        var metadata = await moto.S3.GetObjectMetadataAsync(bucket, $"out/{StatisticsMemo.RowsKey(older)}");
        Assert.Equal(new DateTimeOffset(metadata.LastModified!.Value.ToUniversalTime()), first.Modified);
        Assert.Equal(first, await store.TryGetInfoAsync(first.Key));

        // S3 keeps whole seconds: the newer set is written again until it lists as written after the older one.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        do
        {
            await memo.WriteRowsAsync(newer, [2]);
        }
        while ((await store.ListAsync(StatisticsMemo.Prefix).ToListAsync()).Single(o => o.Key == StatisticsMemo.RowsKey(newer)).Modified <= first.Modified
            && DateTime.UtcNow < deadline);

        Assert.Equal(1, await memo.EvictAsync(keep: 1));
        Assert.Equal([newer], (await memo.ListAsync()).Select(k => k.Fingerprint));
    }

    [Fact]
    public async Task Commits_and_row_counts_read_from_the_footer_with_a_tail_request()
    {
        var (store, bucket) = await moto.NewStoreAsync();
        var table = new FeatureTable(["a.jpg", "b.jpg"], ["A", "A"], new float[2 * 1280], 1280);
        var commit = new BatchCommit(3, 2, 1);
        await FeatureParts.WriteAsync(store, "features.parquet", table, commit);
        await ParquetParts.WriteAsync(store, "errors.parquet", new[] { new ErrorRow { Path = "c.jpg", Reason = "corrupt image data" } });
        using var part = await moto.S3.GetObjectAsync(bucket, "out/features.parquet");
        using var bytes = new MemoryStream();
        await part.ResponseStream.CopyToAsync(bytes);
        await store.WriteAsync("zero.parquet", Array.Empty<byte>());
        await store.WriteAsync("truncated.parquet", bytes.ToArray()[..^3]);

        Assert.Equal(commit, await FeatureParts.TryReadCommitAsync(store, "features.parquet"));
        Assert.Equal(1, await ParquetParts.TryReadRowCountAsync(store, "errors.parquet"));
        Assert.Null(await FeatureParts.TryReadCommitAsync(store, "zero.parquet"));
        Assert.Null(await FeatureParts.TryReadCommitAsync(store, "truncated.parquet"));
        Assert.Null(await FeatureParts.TryReadCommitAsync(store, "missing.parquet"));
        var tail = await store.ReadTailAsync("features.parquet", 16);
        Assert.Equal((bytes.Length, 16), (tail!.Length, tail.Bytes.Length));
    }

    [Fact]
    public async Task Temporary_clean_up_removes_only_leftover_probes()
    {
        var (store, bucket) = await moto.NewStoreAsync();
        await store.CheckAccessAsync(forWrite: true);
        var probe = $"out/_job/tmp/probe-{Guid.NewGuid():N}.tmp";
        await moto.S3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = probe, ContentBody = "1" });
        await moto.S3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "out/_job/tmp/keep.txt", ContentBody = "1" });
        await moto.S3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = $"out/probe-{Guid.NewGuid():N}.tmp", ContentBody = "1" });

        Assert.Equal(1, await store.DeleteTemporaryFilesAsync());
        var left = (await moto.S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket })).S3Objects.Select(o => o.Key).ToList();
        Assert.DoesNotContain(probe, left);
        Assert.Equal(2, left.Count);
    }

    [Theory]
    [InlineData(503, "SlowDown", true)]
    [InlineData(500, "InternalError", true)]
    [InlineData(404, "NoSuchKey", false)]
    [InlineData(403, "AccessDenied", false)]
    public async Task Errors_left_after_the_sdk_retries_are_marked_transient_or_permanent(int status, string code, bool transient)
    {
        var faulting = false;
        await using var proxy = new FaultyS3Proxy(moto.Moto.Endpoint, _ => faulting ? (status, code) : null);
        using var client = MotoS3StoreFixture.Client(proxy.Endpoint, maxErrorRetry: 1);
        var (store, _) = await moto.NewStoreAsync(client);
        await store.WriteAsync("in/a.jpg", new byte[] { 1 });

        faulting = true;
        var read = await Assert.ThrowsAsync<StorageException>(() => store.ReadAllBytesAsync("in/a.jpg", 1000));
        Assert.Equal(transient, read.IsTransient);
        Assert.DoesNotContain('\n', read.Message);
        var write = await Assert.ThrowsAsync<StorageException>(() => store.TryCreateNewAsync("in/b.jpg", new byte[] { 1 }));
        Assert.Equal(transient, write.IsTransient);
        Assert.True(proxy.Faults >= 2);
    }

    [Fact]
    public async Task Connection_resets_that_outlast_the_sdk_retries_are_transient()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var stop = new CancellationTokenSource();
        var resets = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                // Linger 0 makes Close send RST: the client sees a reset, not an orderly end.
                using var socket = await listener.AcceptSocketAsync(stop.Token);
                socket.LingerState = new LingerOption(true, 0);
                socket.Close();
            }
        });
        using var client = MotoS3StoreFixture.Client($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}", maxErrorRetry: 1);
        var store = new S3ObjectStore(client, "safety-resets", "out", new S3StorageOptions());

        var read = await Assert.ThrowsAsync<StorageException>(() => store.ReadAllBytesAsync("in/a.jpg", 1000));
        Assert.True(read.IsTransient, read.Message);
        var create = await Assert.ThrowsAsync<StorageException>(() => store.TryCreateNewAsync("_job/lock.json", new byte[] { 1 }));
        Assert.True(create.IsTransient, create.Message);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => resets);
    }
}
