namespace Fruits.Pipeline.Storage;

/// <summary>A storage problem a user can act on; the message is one readable line.</summary>
public sealed class StorageException(string message, Exception? inner = null) : Exception(message, inner);
