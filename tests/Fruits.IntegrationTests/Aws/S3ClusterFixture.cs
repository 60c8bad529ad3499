using Amazon.S3;
using Amazon.S3.Model;
using Fruits.IntegrationTests.EndToEnd;

namespace Fruits.IntegrationTests.Aws;

/// <summary>moto_server plus a real two-silo cluster whose S3 client talks to it.</summary>
public sealed class S3ClusterFixture : IAsyncLifetime
{
    public MotoServer Moto { get; private set; } = null!;

    public TwoSiloClusterFixture Cluster { get; } = new();

    public IAmazonS3 S3 { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Moto = await MotoServer.StartAsync();
        Moto.UseForThisProcess();
        S3 = new AmazonS3Client(new AmazonS3Config { ServiceURL = Moto.Endpoint, ForcePathStyle = true });
        await Cluster.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        S3.Dispose();
        await Moto.DisposeAsync();
    }

    public async Task UploadFolderAsync(string folder, string bucket, string prefix)
    {
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
        {
            var key = prefix + "/" + Path.GetRelativePath(folder, file).Replace(Path.DirectorySeparatorChar, '/');
            await S3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, FilePath = file });
        }
    }

    public async Task DownloadPrefixAsync(string bucket, string prefix, string folder)
    {
        var request = new ListObjectsV2Request { BucketName = bucket, Prefix = prefix + "/" };
        do
        {
            var page = await S3.ListObjectsV2Async(request);
            foreach (var item in page.S3Objects ?? [])
            {
                var target = Path.Combine(folder, item.Key[(prefix.Length + 1)..]);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                using var response = await S3.GetObjectAsync(bucket, item.Key);
                await using var file = File.Create(target);
                await response.ResponseStream.CopyToAsync(file);
            }

            request.ContinuationToken = page.NextContinuationToken;
        }
        while (request.ContinuationToken is not null);
    }
}

[CollectionDefinition(Name)]
public sealed class S3Collection : ICollectionFixture<S3ClusterFixture>
{
    public const string Name = "s3 cluster";
}
