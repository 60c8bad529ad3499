namespace Fruits.Pipeline.Storage;

/// <summary>
/// S3 client settings, bound from "Fruits:S3". Credentials and region deliberately have no settings here:
/// they come only from the AWS SDK default chain (environment, profile, ECS task role, instance profile).
/// </summary>
public sealed class S3StorageOptions
{
    public const string Section = "Fruits:S3";

    /// <summary>An S3-compatible endpoint (path-style addressing); empty = AWS, or AWS_ENDPOINT_URL_S3 when set.</summary>
    public string ServiceUrl { get; set; } = "";

    /// <summary>Attempts per request on throttling, 5xx and timeouts (exponential backoff with jitter).</summary>
    public int MaxErrorRetry { get; set; } = 8;

    /// <summary>Objects larger than this are uploaded in parts.</summary>
    public long MultipartThresholdBytes { get; set; } = 16L * 1024 * 1024;
}
