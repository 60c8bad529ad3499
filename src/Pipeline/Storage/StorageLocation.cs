namespace Fruits.Pipeline.Storage;

/// <summary>A folder the user named: a local path or s3://bucket/prefix.</summary>
[GenerateSerializer, Immutable]
public sealed record StorageLocation([property: Id(0)] string Uri)
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

        return value.StartsWith("s3://", StringComparison.OrdinalIgnoreCase)
            ? new StorageLocation(value.TrimEnd('/'))
            : new StorageLocation(Path.GetFullPath(value));
    }

    public override string ToString() => Uri;
}
