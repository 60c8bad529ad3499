using Fruits.Pipeline.Output;
using Fruits.Pipeline.Storage;

namespace Fruits.IntegrationTests.Durability;

/// <summary>
/// Holds every conditional delete of an output's lock (<see cref="OutputLayout.Lock"/>) until <see cref="Open"/>,
/// so a test can look at a job at the moment it releases its output. One per silo, in the silo's services.
/// </summary>
public sealed class LockReleaseGate
{
    private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when a delete of the lock is first held.</summary>
    public Task Reached => _reached.Task;

    public void Open() => _open.TrySetResult();

    internal async Task PassAsync(CancellationToken cancellationToken)
    {
        _reached.TrySetResult();
        await _open.Task.WaitAsync(cancellationToken);
    }
}

/// <summary>The silo's real stores, each behind <see cref="GatedLockStore"/>.</summary>
public sealed class GatedLockStoreFactory(ObjectStoreFactory inner, LockReleaseGate gate) : IObjectStoreFactory
{
    public IObjectStore Open(StorageLocation location) => new GatedLockStore(inner.Open(location), gate);
}

/// <summary>Delegates everything; only a conditional delete of the lock waits for the gate first.</summary>
public sealed class GatedLockStore(IObjectStore inner, LockReleaseGate gate) : IObjectStore
{
    public string Root => inner.Root;

    public async Task<bool> TryDeleteIfMatchAsync(string key, string matchTag, CancellationToken cancellationToken = default)
    {
        if (key == OutputLayout.Lock)
        {
            await gate.PassAsync(cancellationToken);
        }

        return await inner.TryDeleteIfMatchAsync(key, matchTag, cancellationToken);
    }

    public string DescribeKey(string key) => inner.DescribeKey(key);

    public IAsyncEnumerable<StoredObject> ListAsync(string prefix, CancellationToken cancellationToken = default) => inner.ListAsync(prefix, cancellationToken);

    public Task<byte[]> ReadAllBytesAsync(string key, long maxBytes, CancellationToken cancellationToken = default) => inner.ReadAllBytesAsync(key, maxBytes, cancellationToken);

    public Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken = default) => inner.OpenReadAsync(key, cancellationToken);

    public Task<ObjectTail?> ReadTailAsync(string key, int maxBytes, CancellationToken cancellationToken = default) => inner.ReadTailAsync(key, maxBytes, cancellationToken);

    public Task<StoredObject?> TryGetInfoAsync(string key, CancellationToken cancellationToken = default) => inner.TryGetInfoAsync(key, cancellationToken);

    public Task WriteAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default) => inner.WriteAsync(key, content, cancellationToken);

    // Forwarded explicitly: the interface's default would hold the object in memory instead of the store's own staging.
    public Task WriteStreamingAsync(string key, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken = default) =>
        inner.WriteStreamingAsync(key, write, cancellationToken);

    public Task<bool> TryCreateNewAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default) => inner.TryCreateNewAsync(key, content, cancellationToken);

    public Task<VersionedContent?> TryReadVersionedAsync(string key, long maxBytes, CancellationToken cancellationToken = default) => inner.TryReadVersionedAsync(key, maxBytes, cancellationToken);

    public Task<bool> ExistsAsync(string key, CancellationToken cancellationToken = default) => inner.ExistsAsync(key, cancellationToken);

    public Task DeleteAsync(string key, CancellationToken cancellationToken = default) => inner.DeleteAsync(key, cancellationToken);

    public Task<int> DeleteTemporaryFilesAsync(CancellationToken cancellationToken = default) => inner.DeleteTemporaryFilesAsync(cancellationToken);

    public Task CheckAccessAsync(bool forWrite, CancellationToken cancellationToken = default) => inner.CheckAccessAsync(forWrite, cancellationToken);
}
