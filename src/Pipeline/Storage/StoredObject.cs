namespace Fruits.Pipeline.Storage;

/// <param name="Version">
/// Changes whenever the object is rewritten, so a listing or a cache can tell the same key's old content from
/// its new: local = size and last-write ticks, S3 = the ETag. Null when the store could not tell.
/// </param>
/// <param name="Modified">When the object was last written (local: last-write time; S3: LastModified); null when the store could not tell.</param>
public readonly record struct StoredObject(string Key, long Size, string? Version = null, DateTimeOffset? Modified = null);
