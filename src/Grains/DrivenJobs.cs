using System.Collections.Concurrent;

namespace Fruits.Grains;

/// <summary>
/// The jobs whose current attempt runs on this silo. Another activation of a job asks the silo its record names
/// as driver (through that silo's router) before starting an attempt of its own.
/// </summary>
public sealed class DrivenJobs
{
    private readonly ConcurrentDictionary<string, byte> _jobs = new(StringComparer.Ordinal);

    public void Add(string jobId) => _jobs[jobId] = 0;

    public void Remove(string jobId) => _jobs.TryRemove(jobId, out _);

    public bool Contains(string jobId) => _jobs.ContainsKey(jobId);
}
