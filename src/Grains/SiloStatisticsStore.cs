using System.Collections.Concurrent;
using Fruits.Grains.Interfaces;
using Fruits.Pipeline.Statistics;

namespace Fruits.Grains;

/// <summary>
/// This silo's running statistics of each job's batches. Featurizers add each batch's rows as the batch's parts
/// become durable; the job takes the result once at fit time. Losing it with the silo loses nothing: the job
/// rebuilds those batches' statistics from their stored parts.
/// </summary>
/// <remarks>
/// A job's rows go into a few accumulators, one per featurizer adding at that moment, each updated in place
/// (<see cref="ShiftedMomentAccumulator"/>): featurizers never wait on each other's rank-k updates, and no batch needs
/// a triangle of its own. Only at fit time are the few merged.
/// </remarks>
public sealed class SiloStatisticsStore
{
    private readonly ConcurrentDictionary<string, JobPartial> _jobs = new(StringComparer.Ordinal);

    /// <summary>Adds a batch's <paramref name="count"/> rows of <paramref name="dimension"/> features, once per batch.</summary>
    public void Add(string jobId, int batchIndex, ReadOnlySpan<float> rows, int count, int dimension)
    {
        var partial = _jobs.GetOrAdd(jobId, _ => new JobPartial());
        Share share;
        lock (partial)
        {
            // A batch featurized twice on this silo (a retry after a lost reply) must not count twice.
            if (!partial.Batches.Add(batchIndex))
            {
                return;
            }

            share = partial.Idle.TryPop(out var idle) ? idle : new Share(new ShiftedMomentAccumulator(dimension));
        }

        var added = false;
        try
        {
            share.Accumulator.Add(rows, count);
            share.Batches.Add(batchIndex);
            added = true;
        }
        finally
        {
            lock (partial)
            {
                if (added)
                {
                    partial.Idle.Push(share);
                }
                else
                {
                    // An update that stopped part-way leaves its accumulator unknown: it goes with every batch in it,
                    // which the job then rebuilds from their parts, as for a lost silo.
                    partial.Batches.ExceptWith(share.Batches);
                    partial.Batches.Remove(batchIndex);
                }
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
            // Only accumulators at rest: an add still running after the fit began reports nothing, so its batches are
            // rebuilt from their parts rather than counted half-done.
            var shares = partial.Idle.ToList();
            partial.Idle.Clear();
            if (shares.Count == 0)
            {
                return new SiloStatistics([], null);
            }

            var merged = new MomentAccumulator(shares[0].Accumulator.Dimension);
            foreach (var share in shares)
            {
                merged.Add(share.Accumulator.ToStatistics());
            }

            return new SiloStatistics(shares.SelectMany(s => s.Batches).Order().ToArray(), merged.ToStatistics().ToContract());
        }
    }

    public void Forget(string jobId) => _jobs.TryRemove(jobId, out _);

    private sealed class JobPartial
    {
        /// <summary>Every batch added or being added.</summary>
        public HashSet<int> Batches { get; } = [];

        public Stack<Share> Idle { get; } = new();
    }

    /// <summary>One accumulator and the batches in it.</summary>
    private sealed record Share(ShiftedMomentAccumulator Accumulator)
    {
        public List<int> Batches { get; } = [];
    }
}
