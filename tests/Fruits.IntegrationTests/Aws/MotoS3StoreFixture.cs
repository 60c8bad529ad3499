using Amazon.Runtime;
using Amazon.S3;
using Fruits.Pipeline.Storage;

namespace Fruits.IntegrationTests.Aws;

/// <summary>
/// One moto_server for the S3 store tests, serving one request at a time: moto checks a conditional PUT's
/// precondition and stores the object in separate steps, which only S3 itself does atomically, so racing
/// conditional requests are only meaningful against moto when they are serialized.
/// </summary>
public sealed class MotoS3StoreFixture : IAsyncLifetime
{
    private int _buckets;

    public MotoServer Moto { get; private set; } = null!;

    public IAmazonS3 S3 { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Moto = await MotoServer.StartAsync(serializeRequests: true);
        S3 = Client(Moto.Endpoint);
    }

    /// <summary>A client with explicit test credentials, so no process-wide AWS settings are touched.</summary>
    public static IAmazonS3 Client(string endpoint, int maxErrorRetry = 2) =>
        new AmazonS3Client(new BasicAWSCredentials("testing", "testing"), new AmazonS3Config
        {
            ServiceURL = endpoint,
            ForcePathStyle = true,
            AuthenticationRegion = "us-east-1",
            RetryMode = RequestRetryMode.Standard,
            MaxErrorRetry = maxErrorRetry,
        });

    /// <summary>A store on a fresh bucket, under the prefix "out".</summary>
    public async Task<(S3ObjectStore Store, string Bucket)> NewStoreAsync(IAmazonS3? client = null)
    {
        var bucket = $"safety-{Interlocked.Increment(ref _buckets)}";
        await S3.PutBucketAsync(bucket);
        return (new S3ObjectStore(client ?? S3, bucket, "out", new S3StorageOptions()), bucket);
    }

    public async Task DisposeAsync()
    {
        S3.Dispose();
        await Moto.DisposeAsync();
    }
}
