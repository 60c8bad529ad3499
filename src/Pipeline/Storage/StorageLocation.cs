namespace Fruits.Pipeline.Storage;

/// <summary>A folder the user named: a local path or s3://bucket/prefix.</summary>
public sealed record StorageLocation(string Uri)
{
    public bool IsS3 => Uri.StartsWith("s3://", StringComparison.OrdinalIgnoreCase);

    public static StorageLocation Parse(string value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new StorageException("a location is empty: give a folder path or s3://bucket/prefix");
        }

        if (value.Contains("://", StringComparison.Ordinal) && !value.StartsWith("s3://", StringComparison.OrdinalIgnoreCase))
        {
            throw new StorageException($"unsupported location '{value}': use a local folder or s3://bucket/prefix");
        }

        if (value.StartsWith("s3://", StringComparison.OrdinalIgnoreCase))
        {
            var normalized = "s3://" + value["s3://".Length..].TrimEnd('/');
            ObjectStoreFactory.SplitS3(normalized); // fail on a bad bucket name before any work
            return new StorageLocation(normalized);
        }

        return new StorageLocation(Path.GetFullPath(value));
    }

    public override string ToString() => Uri;
}
