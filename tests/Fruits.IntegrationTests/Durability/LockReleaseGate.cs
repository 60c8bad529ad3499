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
public sealed class GatedLockStore(IObjectStore inner, LockReleaseGate gate) : ObjectStoreDecorator(inner)
{
    public override async Task<bool> TryDeleteIfMatchAsync(string key, string matchTag, CancellationToken cancellationToken = default)
    {
        if (key == OutputLayout.Lock)
        {
            await gate.PassAsync(cancellationToken);
        }

        return await Inner.TryDeleteIfMatchAsync(key, matchTag, cancellationToken);
    }
}
