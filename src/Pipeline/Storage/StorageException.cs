namespace Fruits.Pipeline.Storage;

/// <summary>A storage problem a user can act on; the message is one readable line.</summary>
/// <param name="isTransient">
/// The same request may well succeed later (S3 throttling, 5xx or a timeout after the SDK's own retries, a local
/// I/O error other than not-found or permission): whoever retries whole batches should retry rather than record
/// the object as failed. Not-found, permission, size limits and wrong file types are permanent.
/// </param>
public sealed class StorageException(string message, Exception? inner = null, bool isTransient = false) : Exception(message, inner)
{
    public bool IsTransient { get; } = isTransient;
}
