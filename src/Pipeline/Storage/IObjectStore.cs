namespace Fruits.Pipeline.Storage;

/// <summary>
/// The only way grains touch data: keys are '/'-separated paths relative to the store's root,
/// so the same layout works on a local folder and an S3 prefix.
/// </summary>
public interface IObjectStore
{
    /// <summary>Human-readable root (a folder path or s3://bucket/prefix), used in messages and summaries.</summary>
    string Root { get; }

    /// <summary>The full location of <paramref name="key"/> as a user would type it (recorded as the image's path).</summary>
    string DescribeKey(string key);

    /// <summary>Keys under <paramref name="prefix"/>, recursively, in ordinal order, streamed.</summary>
    IAsyncEnumerable<StoredObject> ListAsync(string prefix, CancellationToken cancellationToken = default);

    Task<byte[]> ReadAllBytesAsync(string key, long maxBytes, CancellationToken cancellationToken = default);

    Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Writes the whole object atomically: readers see the old object or the new one, never a part.</summary>
    Task WriteAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default);

    Task<bool> ExistsAsync(string key, CancellationToken cancellationToken = default);

    Task DeleteAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Fails with a <see cref="StorageException"/> when the root cannot be read (or written, when asked).</summary>
    Task CheckAccessAsync(bool forWrite, CancellationToken cancellationToken = default);
}
