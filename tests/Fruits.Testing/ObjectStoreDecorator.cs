using Fruits.Pipeline.Storage;

namespace Fruits.Testing;

/// <summary>
/// A store that passes every call to another: a test's store overrides only the calls it watches or holds back.
/// The members the interface gives defaults for are passed on too, so the code under test gets the inner store's own
/// streamed and unsynced writes, not the defaults' stand-ins for them.
/// </summary>
public abstract class ObjectStoreDecorator(IObjectStore inner) : IObjectStore
{
    protected IObjectStore Inner => inner;

    public virtual string Root => inner.Root;

    public virtual string DescribeKey(string key) => inner.DescribeKey(key);

    public virtual IAsyncEnumerable<StoredObject> ListAsync(string prefix, CancellationToken cancellationToken = default) => inner.ListAsync(prefix, cancellationToken);

    public virtual Task<byte[]> ReadAllBytesAsync(string key, long maxBytes, CancellationToken cancellationToken = default) => inner.ReadAllBytesAsync(key, maxBytes, cancellationToken);

    public virtual Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken = default) => inner.OpenReadAsync(key, cancellationToken);

    public virtual Task<ObjectTail?> ReadTailAsync(string key, int maxBytes, CancellationToken cancellationToken = default) => inner.ReadTailAsync(key, maxBytes, cancellationToken);

    public virtual Task<StoredObject?> TryGetInfoAsync(string key, CancellationToken cancellationToken = default) => inner.TryGetInfoAsync(key, cancellationToken);

    public virtual Task WriteAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default) => inner.WriteAsync(key, content, cancellationToken);

    public virtual Task WriteStreamingAsync(string key, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken = default) =>
        inner.WriteStreamingAsync(key, write, cancellationToken);

    public virtual Task WriteVolatileAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default) => inner.WriteVolatileAsync(key, content, cancellationToken);

    public virtual Task<bool> TryCreateNewAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default) => inner.TryCreateNewAsync(key, content, cancellationToken);

    public virtual Task<VersionedContent?> TryReadVersionedAsync(string key, long maxBytes, CancellationToken cancellationToken = default) => inner.TryReadVersionedAsync(key, maxBytes, cancellationToken);

    public virtual Task<bool> TryDeleteIfMatchAsync(string key, string matchTag, CancellationToken cancellationToken = default) => inner.TryDeleteIfMatchAsync(key, matchTag, cancellationToken);

    public virtual Task<bool> ExistsAsync(string key, CancellationToken cancellationToken = default) => inner.ExistsAsync(key, cancellationToken);

    public virtual Task DeleteAsync(string key, CancellationToken cancellationToken = default) => inner.DeleteAsync(key, cancellationToken);

    public virtual Task<int> DeleteTemporaryFilesAsync(CancellationToken cancellationToken = default) => inner.DeleteTemporaryFilesAsync(cancellationToken);

    public virtual Task CheckAccessAsync(bool forWrite, CancellationToken cancellationToken = default) => inner.CheckAccessAsync(forWrite, cancellationToken);
}
