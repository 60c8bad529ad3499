using Amazon.Runtime;
using Amazon.S3;
using Microsoft.Extensions.Options;

namespace Fruits.Pipeline.Storage;

/// <summary>Opens local folders and S3 prefixes; one S3 client per process, shared by every store.</summary>
public sealed class ObjectStoreFactory(IOptions<S3StorageOptions> options) : IObjectStoreFactory, IDisposable
{
    private readonly Lazy<IAmazonS3> _s3 = new(() => CreateClient(options.Value));

    public IObjectStore Open(StorageLocation location)
    {
        if (!location.IsS3)
        {
            return new LocalObjectStore(location.Uri);
        }

        var (bucket, prefix) = SplitS3(location.Uri);
        return new S3ObjectStore(_s3.Value, bucket, prefix, options.Value);
    }

    public static (string Bucket, string Prefix) SplitS3(string uri)
    {
        var rest = uri["s3://".Length..];
        var slash = rest.IndexOf('/');
        var bucket = slash < 0 ? rest : rest[..slash];
        var prefix = slash < 0 ? "" : rest[(slash + 1)..].Trim('/');
        if (bucket.Length is < 3 or > 63 || bucket.Any(c => !(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '.')))
        {
            throw new StorageException($"'{uri}' is not a valid S3 location: the bucket name must be 3-63 lowercase letters, digits, '-' or '.'");
        }

        return (bucket, prefix);
    }

    public void Dispose()
    {
        if (_s3.IsValueCreated)
        {
            _s3.Value.Dispose();
        }
    }

    private static IAmazonS3 CreateClient(S3StorageOptions options)
    {
        var config = new AmazonS3Config { RetryMode = RequestRetryMode.Standard, MaxErrorRetry = options.MaxErrorRetry };
        var endpoint = string.IsNullOrEmpty(options.ServiceUrl) ? Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL_S3") : options.ServiceUrl;
        if (!string.IsNullOrEmpty(endpoint))
        {
            config.ServiceURL = endpoint;
            config.ForcePathStyle = true;
        }

        return new AmazonS3Client(config);
    }
}
