namespace Fruits.Grains.Interfaces;

/// <summary>
/// A storage problem, as a grain that reads or writes a job's files reports it to its caller: the message is one
/// readable line, and <see cref="IsTransient"/> says whether the same request may well succeed later, so a caller
/// on another silo can tell a throttled or lost connection (retry the batch) from a missing or forbidden object.
/// </summary>
[GenerateSerializer, Alias("Fruits.StorageException")]
public sealed class StorageFaultException : Exception
{
    public StorageFaultException(string message, bool isTransient, Exception? inner = null)
        : base(message, inner)
    {
        IsTransient = isTransient;
    }

    [Id(0)]
    public bool IsTransient { get; private set; }
}
