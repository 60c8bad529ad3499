using System.Collections.Concurrent;
using Fruits.Grains.Interfaces;
using Fruits.Pipeline.Statistics;

namespace Fruits.Grains;

/// <summary>
/// This silo's running merge of each job's batch statistics. Featurizers add to it as batches finish; the job
/// takes it once at fit time. Losing it with the silo loses nothing: the job rebuilds those batches'
/// statistics from their stored parts.
/// </summary>
public sealed class SiloStatisticsStore
{
    private readonly ConcurrentDictionary<string, JobPartial> _jobs = new(StringComparer.Ordinal);

    public void Add(string jobId, int batchIndex, MomentStatistics statistics)
    {
        var partial = _jobs.GetOrAdd(jobId, _ => new JobPartial(statistics.Dimension));
        lock (partial)
        {
            // A batch featurized twice on this silo (a retry after a lost reply) must not count twice.
            if (partial.Batches.Add(batchIndex))
            {
                partial.Accumulator.Add(statistics);
            }
        }
    }

    public SiloStatistics Take(string jobId)
    {
        if (!_jobs.TryRemove(jobId, out var partial))
        {
            return new SiloStatistics([], null);
        }

        lock (partial)
        {
            return new SiloStatistics(partial.Batches.Order().ToArray(), partial.Accumulator.ToStatistics().ToContract());
        }
    }

    public void Forget(string jobId) => _jobs.TryRemove(jobId, out _);

    private sealed class JobPartial(int dimension)
    {
        public HashSet<int> Batches { get; } = [];

        public MomentAccumulator Accumulator { get; } = new(dimension);
    }
}
