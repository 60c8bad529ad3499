namespace Fruits.Pipeline.Storage;

/// <summary>
/// The only way grains touch data: keys are '/'-separated paths relative to the store's root,
/// so the same layout works on a local folder and an S3 prefix.
/// </summary>
/// <remarks>
/// Failures are <see cref="StorageException"/>s; <see cref="StorageException.IsTransient"/> says whether the
/// same call may succeed if retried.
/// </remarks>
public interface IObjectStore
{
    /// <summary>Where this store keeps its temporary files and write probes, relative to the root.</summary>
    const string TemporaryPrefix = "_job/tmp/";

    /// <summary>Human-readable root (a folder path or s3://bucket/prefix), used in messages and summaries.</summary>
    string Root { get; }

    /// <summary>The full location of <paramref name="key"/> as a user would type it (recorded as the image's path).</summary>
    string DescribeKey(string key);

    /// <summary>Keys under <paramref name="prefix"/>, recursively, in ordinal order, streamed, each with its version.</summary>
    IAsyncEnumerable<StoredObject> ListAsync(string prefix, CancellationToken cancellationToken = default);

    /// <summary>
    /// The whole object, refused (permanently) when over <paramref name="maxBytes"/>. A local store reads regular
    /// files only: a FIFO, socket or device is refused without being opened.
    /// </summary>
    Task<byte[]> ReadAllBytesAsync(string key, long maxBytes, CancellationToken cancellationToken = default);

    Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>
    /// Up to the last <paramref name="maxBytes"/> bytes and the object's length, in one request; null when the key
    /// does not exist.
    /// </summary>
    Task<ObjectTail?> ReadTailAsync(string key, int maxBytes, CancellationToken cancellationToken = default);

    /// <summary>The object's size and version without reading it; null when the key does not exist.</summary>
    Task<StoredObject?> TryGetInfoAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes the whole object atomically and durably: readers see the old object or the new one, never a part,
    /// and once this returns, a crash does not lose or truncate it.
    /// </summary>
    Task WriteAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes the object <paramref name="write"/> produces into the stream it is given, with the guarantees of
    /// <see cref="WriteAsync"/>: nothing is visible under <paramref name="key"/> until <paramref name="write"/> has
    /// returned and the whole object is durable. A store that can stage an object outside memory overrides this, so
    /// an object of hundreds of megabytes is never held whole; the default holds it in memory and calls
    /// <see cref="WriteAsync"/>.
    /// </summary>
    async Task WriteStreamingAsync(string key, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(write);
        using var buffer = new MemoryStream();
        await write(buffer, cancellationToken);
        await WriteAsync(key, buffer.GetBuffer().AsMemory(0, checked((int)buffer.Length)), cancellationToken);
    }

    /// <summary>
    /// Writes the whole object atomically, as <see cref="WriteAsync"/> does, without waiting for it to be durable: for
    /// objects a job writes anew before it reads them after any crash (the batch manifests, which every attempt lists
    /// and writes again). A store whose every write is durable anyway keeps this default.
    /// </summary>
    Task WriteVolatileAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default) =>
        WriteAsync(key, content, cancellationToken);

    /// <summary>
    /// Creates the object only if the key does not exist, atomically with its whole content; false when it exists.
    /// Of any number of concurrent callers for one key, exactly one gets true.
    /// </summary>
    Task<bool> TryCreateNewAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default);

    /// <summary>The object's bytes with the tag <see cref="TryDeleteIfMatchAsync"/> takes; null when the key does not exist.</summary>
    Task<VersionedContent?> TryReadVersionedAsync(string key, long maxBytes, CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes the object only if it still is the one read with <paramref name="matchTag"/>; false when it was
    /// replaced or is gone. Never removes an object someone else wrote after that read.
    /// </summary>
    Task<bool> TryDeleteIfMatchAsync(string key, string matchTag, CancellationToken cancellationToken = default);

    Task<bool> ExistsAsync(string key, CancellationToken cancellationToken = default);

    Task DeleteAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>
    /// Removes what interrupted writes and access probes of this store left under <see cref="TemporaryPrefix"/>,
    /// by exact name pattern, nothing else. Call only while holding the output lock, so no live write is removed.
    /// </summary>
    /// <returns>How many files were removed.</returns>
    Task<int> DeleteTemporaryFilesAsync(CancellationToken cancellationToken = default);

    /// <summary>Fails with a <see cref="StorageException"/> when the root cannot be read (or written, when asked).</summary>
    Task CheckAccessAsync(bool forWrite, CancellationToken cancellationToken = default);
}
