using Orleans;

namespace Fruits.IntegrationTests.Persistence;

/// <summary>An <see cref="IGrainState{T}"/> held by a test the way a grain's persistent state holds it.</summary>
public sealed class TestGrainState<T> : IGrainState<T>
    where T : new()
{
    public T State { get; set; } = new();

    // The interface allows null; tests read the state as a grain does after a read, which never leaves it null.
    T? IGrainState<T>.State
    {
        get => State;
        set => State = value ?? new T();
    }

    public string? ETag { get; set; }

    public bool RecordExists { get; set; }
}
