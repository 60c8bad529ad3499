using System.Net;
using System.Runtime.CompilerServices;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.S3.Transfer;

namespace Fruits.Pipeline.Storage;

/// <summary>An S3 prefix as an object store. A single PUT (or a completed multipart upload) is atomic.</summary>
public sealed class S3ObjectStore(IAmazonS3 s3, string bucket, string prefix, S3StorageOptions options) : IObjectStore
{
    private readonly string _prefix = prefix.Length == 0 ? "" : prefix.TrimEnd('/') + "/";

    public string Root => _prefix.Length == 0 ? $"s3://{bucket}" : $"s3://{bucket}/{_prefix.TrimEnd('/')}";

    public string DescribeKey(string key) => $"s3://{bucket}/{_prefix}{key}";

    public async IAsyncEnumerable<StoredObject> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var request = new ListObjectsV2Request { BucketName = bucket, Prefix = _prefix + prefix, MaxKeys = 1000 };
        do
        {
            var page = await Call(() => s3.ListObjectsV2Async(request, cancellationToken), "list");
            foreach (var item in page.S3Objects ?? [])
            {
                if (!item.Key.EndsWith('/'))
                {
                    yield return new StoredObject(item.Key[_prefix.Length..], item.Size ?? -1);
                }
            }

            request.ContinuationToken = page.NextContinuationToken;
        }
        while (request.ContinuationToken is not null);
    }

    public async Task<byte[]> ReadAllBytesAsync(string key, long maxBytes, CancellationToken cancellationToken = default)
    {
        using var response = await Call(() => s3.GetObjectAsync(bucket, _prefix + key, cancellationToken), DescribeKey(key));
        if (response.ContentLength > maxBytes)
        {
            throw new StorageException($"object is {response.ContentLength} bytes, over the {maxBytes}-byte limit");
        }

        var buffer = new byte[response.ContentLength];
        await response.ResponseStream.ReadExactlyAsync(buffer, cancellationToken);
        return buffer;
    }

    public async Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken = default)
    {
        var response = await Call(() => s3.GetObjectAsync(bucket, _prefix + key, cancellationToken), DescribeKey(key));
        return response.ResponseStream;
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
            }, DescribeKey(key));
            return;
        }

        await Call(() => s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = _prefix + key, InputStream = stream, AutoCloseStream = false }, cancellationToken), DescribeKey(key));
    }

    public async Task<bool> ExistsAsync(string key, CancellationToken cancellationToken = default)
    {
        try
        {
            await s3.GetObjectMetadataAsync(bucket, _prefix + key, cancellationToken);
            return true;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
        catch (AmazonS3Exception e)
        {
            throw Translate(e, DescribeKey(key));
        }
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken = default) =>
        Call(() => s3.DeleteObjectAsync(bucket, _prefix + key, cancellationToken), DescribeKey(key));

    public async Task CheckAccessAsync(bool forWrite, CancellationToken cancellationToken = default)
    {
        await Call(() => s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = _prefix, MaxKeys = 1 }, cancellationToken), Root);
        if (forWrite)
        {
            var probe = $"_probe-{Guid.NewGuid():N}";
            await WriteAsync(probe, new byte[] { 1 }, cancellationToken);
            await DeleteAsync(probe, cancellationToken);
        }
    }

    private async Task<T> Call<T>(Func<Task<T>> action, string what)
    {
        try
        {
            return await action();
        }
        catch (AmazonS3Exception e)
        {
            throw Translate(e, what);
        }
        catch (Amazon.Runtime.AmazonServiceException e)
        {
            throw new StorageException($"{what}: {e.Message}", e);
        }
        catch (HttpRequestException e)
        {
            throw new StorageException($"{what}: S3 endpoint unreachable ({e.Message})", e);
        }
    }

    private StorageException Translate(AmazonS3Exception e, string what) => e.ErrorCode switch
    {
        "NoSuchBucket" => new StorageException($"bucket '{bucket}' does not exist", e),
        "AccessDenied" or "Forbidden" => new StorageException($"{what}: access denied", e),
        "NoSuchKey" => new StorageException($"{what}: not found", e),
        _ when e.StatusCode == HttpStatusCode.NotFound => new StorageException($"{what}: not found", e),
        _ when e.StatusCode == HttpStatusCode.Forbidden => new StorageException($"{what}: access denied", e),
        _ => new StorageException($"{what}: {e.ErrorCode ?? e.StatusCode.ToString()} {e.Message}".Trim(), e),
    };
}
