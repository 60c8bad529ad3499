using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.S3.Transfer;

namespace Fruits.Pipeline.Storage;

/// <summary>
/// An S3 prefix as an object store. A single PUT (or a completed multipart upload) is atomic and durable once
/// acknowledged, so writes need no temporary objects; create-new and conditional delete are S3's conditional
/// requests (If-None-Match: * and If-Match: ETag).
/// </summary>
public sealed class S3ObjectStore(IAmazonS3 s3, string bucket, string prefix, S3StorageOptions options) : IObjectStore
{
    private const int ConflictRetries = 5;
    private readonly string _prefix = prefix.Length == 0 ? "" : prefix.TrimEnd('/') + "/";

    public string Root => _prefix.Length == 0 ? $"s3://{bucket}" : $"s3://{bucket}/{_prefix.TrimEnd('/')}";

    public string DescribeKey(string key) => $"s3://{bucket}/{_prefix}{key}";

    public async IAsyncEnumerable<StoredObject> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var request = new ListObjectsV2Request { BucketName = bucket, Prefix = _prefix + prefix, MaxKeys = 1000 };
        do
        {
            var page = await Call(() => s3.ListObjectsV2Async(request, cancellationToken), "list", cancellationToken);
            foreach (var item in page.S3Objects ?? [])
            {
                if (!item.Key.EndsWith('/'))
                {
                    yield return new StoredObject(item.Key[_prefix.Length..], item.Size ?? -1, item.ETag, Modified(item.LastModified));
                }
            }

            request.ContinuationToken = page.NextContinuationToken;
        }
        while (request.ContinuationToken is not null);
    }

    public async Task<byte[]> ReadAllBytesAsync(string key, long maxBytes, CancellationToken cancellationToken = default)
    {
        var what = DescribeKey(key);
        using var response = await Call(() => s3.GetObjectAsync(bucket, _prefix + key, cancellationToken), what, cancellationToken);
        if (response.ContentLength > maxBytes)
        {
            throw new StorageException($"object is {response.ContentLength} bytes, over the {maxBytes}-byte limit");
        }

        var buffer = new byte[response.ContentLength];
        await Call(async () =>
        {
            await response.ResponseStream.ReadExactlyAsync(buffer, cancellationToken);
            return true;
        }, what, cancellationToken);
        return buffer;
    }

    public async Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken = default)
    {
        var response = await Call(() => s3.GetObjectAsync(bucket, _prefix + key, cancellationToken), DescribeKey(key), cancellationToken);
        return response.ResponseStream;
    }

    public async Task<ObjectTail?> ReadTailAsync(string key, int maxBytes, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        var what = DescribeKey(key);
        var request = new GetObjectRequest
        {
            BucketName = bucket,
            Key = _prefix + key,
            ByteRange = new ByteRange(string.Create(CultureInfo.InvariantCulture, $"bytes=-{maxBytes}")),
        };
        try
        {
            using var response = await Call(() => s3.GetObjectAsync(request, cancellationToken), what, cancellationToken);
            var bytes = new byte[response.ContentLength];
            await Call(async () =>
            {
                await response.ResponseStream.ReadExactlyAsync(bytes, cancellationToken);
                return true;
            }, what, cancellationToken);

            // "bytes first-last/length"; without it the whole object came back.
            var range = response.ContentRange;
            var slash = range?.LastIndexOf('/') ?? -1;
            var length = slash >= 0 && long.TryParse(range.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var total)
                ? total
                : bytes.Length;
            return new ObjectTail(length, bytes);
        }
        catch (StorageException e) when (e.InnerException is AmazonS3Exception { StatusCode: HttpStatusCode.NotFound })
        {
            return null;
        }
        catch (StorageException e) when (e.InnerException is AmazonS3Exception { StatusCode: HttpStatusCode.RequestedRangeNotSatisfiable })
        {
            return new ObjectTail(0, []); // no range of an empty object is satisfiable
        }
    }

    public async Task<StoredObject?> TryGetInfoAsync(string key, CancellationToken cancellationToken = default)
    {
        try
        {
            var metadata = await Call(() => s3.GetObjectMetadataAsync(bucket, _prefix + key, cancellationToken), DescribeKey(key), cancellationToken);
            return new StoredObject(key, metadata.ContentLength, metadata.ETag, Modified(metadata.LastModified));
        }
        catch (StorageException e) when (e.InnerException is AmazonS3Exception { StatusCode: HttpStatusCode.NotFound })
        {
            return null;
        }
    }

    public async Task WriteAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        using var stream = new ReadOnlyMemoryStream(content);
        if (content.Length >= options.MultipartThresholdBytes)
        {
            using var transfer = new TransferUtility(s3);
            await Call(async () =>
            {
                stream.Position = 0;
                await transfer.UploadAsync(new TransferUtilityUploadRequest { BucketName = bucket, Key = _prefix + key, InputStream = stream, AutoCloseStream = false }, cancellationToken);
                return true;
            }, DescribeKey(key), cancellationToken);
            return;
        }

        await Call(() => s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = _prefix + key, InputStream = stream, AutoCloseStream = false }, cancellationToken), DescribeKey(key), cancellationToken);
    }

    /// <remarks>
    /// One PUT with If-None-Match: *: S3 answers 412 when the key exists, and 409 when a concurrent conditional
    /// write to the key is still in progress, after which asking again gets a definite answer.
    /// </remarks>
    public async Task<bool> TryCreateNewAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        for (var attempt = 0; ; attempt++)
        {
            using var stream = new ReadOnlyMemoryStream(content);
            var request = new PutObjectRequest { BucketName = bucket, Key = _prefix + key, InputStream = stream, AutoCloseStream = false, IfNoneMatch = "*" };
            try
            {
                await Call(() => s3.PutObjectAsync(request, cancellationToken), DescribeKey(key), cancellationToken);
                return true;
            }
            catch (StorageException e) when (e.InnerException is AmazonS3Exception { StatusCode: HttpStatusCode.PreconditionFailed })
            {
                return false;
            }
            catch (StorageException e) when (e.InnerException is AmazonS3Exception { StatusCode: HttpStatusCode.Conflict } && attempt < ConflictRetries)
            {
                await Task.Delay(50 << attempt, cancellationToken);
            }
        }
    }

    public async Task<VersionedContent?> TryReadVersionedAsync(string key, long maxBytes, CancellationToken cancellationToken = default)
    {
        var what = DescribeKey(key);
        try
        {
            using var response = await Call(() => s3.GetObjectAsync(bucket, _prefix + key, cancellationToken), what, cancellationToken);
            if (response.ContentLength > maxBytes)
            {
                throw new StorageException($"{what}: object is {response.ContentLength} bytes, over the {maxBytes}-byte limit");
            }

            var buffer = new byte[response.ContentLength];
            await Call(async () =>
            {
                await response.ResponseStream.ReadExactlyAsync(buffer, cancellationToken);
                return true;
            }, what, cancellationToken);
            return new VersionedContent(buffer, response.ETag);
        }
        catch (StorageException e) when (e.InnerException is AmazonS3Exception { StatusCode: HttpStatusCode.NotFound })
        {
            return null;
        }
    }

    /// <remarks>DeleteObject with If-Match: the ETag read; 412 when the object was replaced, 404 when it is gone.</remarks>
    public async Task<bool> TryDeleteIfMatchAsync(string key, string matchTag, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(matchTag);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var request = new DeleteObjectRequest { BucketName = bucket, Key = _prefix + key, IfMatch = matchTag };
                await Call(() => s3.DeleteObjectAsync(request, cancellationToken), DescribeKey(key), cancellationToken);
                return true;
            }
            catch (StorageException e) when (e.InnerException is AmazonS3Exception { StatusCode: HttpStatusCode.PreconditionFailed or HttpStatusCode.NotFound })
            {
                return false;
            }
            catch (StorageException e) when (e.InnerException is AmazonS3Exception { StatusCode: HttpStatusCode.Conflict } && attempt < ConflictRetries)
            {
                await Task.Delay(50 << attempt, cancellationToken);
            }
        }
    }

    public async Task<bool> ExistsAsync(string key, CancellationToken cancellationToken = default) =>
        await TryGetInfoAsync(key, cancellationToken) is not null;

    public Task DeleteAsync(string key, CancellationToken cancellationToken = default) =>
        Call(() => s3.DeleteObjectAsync(bucket, _prefix + key, cancellationToken), DescribeKey(key), cancellationToken);

    /// <summary>Only write probes can be left behind (a PUT is never partly visible): those under the temporary prefix.</summary>
    public async Task<int> DeleteTemporaryFilesAsync(CancellationToken cancellationToken = default)
    {
        var leftovers = new List<string>();
        await foreach (var item in ListAsync(IObjectStore.TemporaryPrefix, cancellationToken))
        {
            var name = item.Key[IObjectStore.TemporaryPrefix.Length..];
            if (!name.Contains('/') && LocalObjectStore.IsTemporaryName(name))
            {
                leftovers.Add(item.Key);
            }
        }

        foreach (var key in leftovers)
        {
            await DeleteAsync(key, cancellationToken);
        }

        return leftovers.Count;
    }

    public async Task CheckAccessAsync(bool forWrite, CancellationToken cancellationToken = default)
    {
        await Call(() => s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = _prefix, MaxKeys = 1 }, cancellationToken), Root, cancellationToken);
        if (forWrite)
        {
            var probe = $"{IObjectStore.TemporaryPrefix}probe-{Guid.NewGuid():N}.tmp";
            await WriteAsync(probe, new byte[] { 1 }, cancellationToken);
            await DeleteAsync(probe, cancellationToken);
        }
    }

    /// <summary>
    /// Every SDK failure as one readable line. The SDK has already retried throttling, 5xx and timeouts
    /// (<see cref="S3StorageOptions.MaxErrorRetry"/>), so those arrive here only when retries ran out and are
    /// marked transient: the batch can be retried later as a whole.
    /// </summary>
    private async Task<T> Call<T>(Func<Task<T>> action, string what, CancellationToken cancellationToken)
    {
        try
        {
            return await action();
        }
        catch (AmazonS3Exception e)
        {
            throw Translate(e, what);
        }
        catch (AmazonServiceException e)
        {
            throw new StorageException($"{what}: {e.Message}", e, IsTransient(e));
        }
        catch (HttpRequestException e)
        {
            throw new StorageException($"{what}: S3 endpoint unreachable ({e.Message})", e, isTransient: true);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
        {
            // The SDK lets a reset connection through as a bare SocketException once its retries are spent.
            throw new StorageException($"{what}: connection lost ({e.Message})", e, isTransient: true);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new StorageException($"{what}: request timed out", e, isTransient: true);
        }
        catch (AmazonClientException e) when (e.InnerException is IOException or HttpRequestException or System.Net.Sockets.SocketException)
        {
            throw new StorageException($"{what}: connection lost ({e.Message})", e, isTransient: true);
        }
    }

    private StorageException Translate(AmazonS3Exception e, string what) => e.ErrorCode switch
    {
        "NoSuchBucket" => new StorageException($"bucket '{bucket}' does not exist", e),
        "AccessDenied" or "Forbidden" => new StorageException($"{what}: access denied", e),
        "NoSuchKey" => new StorageException($"{what}: not found", e),
        _ when e.StatusCode == HttpStatusCode.NotFound => new StorageException($"{what}: not found", e),
        _ when e.StatusCode == HttpStatusCode.Forbidden => new StorageException($"{what}: access denied", e),
        _ => new StorageException($"{what}: {e.ErrorCode ?? e.StatusCode.ToString()} {e.Message}".Trim(), e, IsTransient(e)),
    };

    /// <summary>
    /// S3's LastModified in whole seconds, as a HEAD request gives it (a listing gives milliseconds), so that a key
    /// listed and the same key looked up compare equal. The SDK parses it into UTC or local time as it sees fit.
    /// </summary>
    private static DateTimeOffset? Modified(DateTime? time)
    {
        if (time is not { } t)
        {
            return null;
        }

        var utc = t.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(t, DateTimeKind.Utc) : t.ToUniversalTime();
        return new DateTimeOffset(utc.Ticks - (utc.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
    }

    private static bool IsTransient(AmazonServiceException e) =>
        (int)e.StatusCode >= 500
        || e.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout
        || e.ErrorCode is "SlowDown" or "Throttling" or "ThrottlingException" or "RequestTimeout" or "RequestLimitExceeded" or "InternalError" or "ServiceUnavailable"
        || (e.StatusCode == 0 && e.InnerException is IOException or HttpRequestException or System.Net.Sockets.SocketException);
}
