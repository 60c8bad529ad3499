namespace Fruits.Grains;

/// <summary>
/// The batches this silo is working on, and whether it still takes new ones: a silo told to stop drains
/// (takes nothing new, finishes what it has) before it leaves the cluster.
/// </summary>
public sealed class SiloWorkload
{
    private readonly TaskCompletionSource _idle = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _inFlight;
    private volatile bool _draining;

    public bool Draining => _draining;

    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Counts a batch in; false (and nothing counted) once the silo drains.</summary>
    public bool TryEnter()
    {
        Interlocked.Increment(ref _inFlight);
        if (!_draining)
        {
            return true;
        }

        Exit();
        return false;
    }

    public void Exit()
    {
        if (Interlocked.Decrement(ref _inFlight) == 0 && _draining)
        {
            _idle.TrySetResult();
        }
    }

    /// <summary>Stops taking batches; completes when those in flight have finished.</summary>
    public Task DrainAsync()
    {
        _draining = true;
        if (InFlight == 0)
        {
            _idle.TrySetResult();
        }

        return _idle.Task;
    }
}
