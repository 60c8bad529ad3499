namespace Fruits.Pipeline.Storage;

/// <summary>A storage problem a user can act on; the message is one readable line.</summary>
/// <remarks>A grain that meets one reports it to its caller as the contract's <c>StorageFaultException</c>, which keeps <see cref="IsTransient"/>.</remarks>
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
    public bool IsTransient { get; }
}
