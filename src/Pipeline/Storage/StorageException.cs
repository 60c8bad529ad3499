namespace Fruits.Pipeline.Storage;

/// <summary>A storage problem a user can act on; the message is one readable line.</summary>
/// <remarks>
/// Serializable by Orleans with <see cref="IsTransient"/>, so a dispatcher on another silo still sees whether
/// a featurizer's failure is worth retrying.
/// </remarks>
[GenerateSerializer, Alias("Fruits.StorageException")]
public sealed class StorageException : Exception
{
    public StorageException(string message, Exception? inner = null, bool isTransient = false)
        : base(message, inner)
    {
        IsTransient = isTransient;
    }

    /// <summary>
    /// The same request may well succeed later (S3 throttling, 5xx or a timeout after the SDK's own retries, a
    /// lost connection, a local I/O error other than not-found or permission): whoever retries whole batches
    /// should retry rather than record the object as failed. Not-found, permission, size limits and wrong file
    /// types are permanent.
    /// </summary>
    [Id(0)]
    public bool IsTransient { get; private set; }
}
