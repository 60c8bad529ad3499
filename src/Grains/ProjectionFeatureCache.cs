using System.Collections.Concurrent;
using Fruits.Pipeline.Output;
using Microsoft.Extensions.Options;

namespace Fruits.Grains;

/// <summary>
/// The features of the batches this silo's featurizers committed, kept in memory until the projection of the same job
/// on this silo takes them, so that projection does not read and decode again what was just written (or, for a batch
/// from the feature store, its store segments). Each entry is tied to the featurize call that made it
/// (<see cref="Interfaces.BatchResult.Attempt"/>): the projection takes it only for the attempt its job accepted, and
/// any other batch is read from storage as before. Losing the cache with the silo therefore loses nothing.
/// </summary>
/// <remarks>
/// Bounded by <see cref="FeaturizerOptions.ProjectionCacheBytes"/> across jobs: a batch that does not fit is simply
/// not kept. An entry leaves when it is taken, or with its job (<see cref="Forget"/>).
/// </remarks>
public sealed class ProjectionFeatureCache(IOptions<FeaturizerOptions> options)
{
    private readonly long _budget = Math.Max(0, options.Value.ProjectionCacheBytes);
    private readonly ConcurrentDictionary<(string JobId, int Batch), Entry> _entries = new();
    private long _bytes;

    /// <summary>Bytes held now.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Keeps a copy of <paramref name="table"/>, as committed by featurize call <paramref name="attempt"/>; false when it does not fit.</summary>
    public bool Add(string jobId, int batch, Guid attempt, FeatureTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var size = (long)table.Count * table.Dimension * sizeof(float);
        if (table.Count == 0 || !TryReserve(size))
        {
            return false;
        }

        var features = GC.AllocateUninitializedArray<float>(table.Count * table.Dimension);
        table.FeatureBlock.CopyTo(features);
        var entry = new Entry(attempt, new FeatureTable(table.Paths, table.Labels, features, table.Dimension), size);
        _entries.AddOrUpdate((jobId, batch), entry, (_, replaced) =>
        {
            Release(replaced.Bytes);
            return entry;
        });
        return true;
    }

    /// <summary>Takes out the batch's features if they were kept for exactly that featurize call.</summary>
    public bool TryTake(string jobId, int batch, Guid attempt, out FeatureTable table)
    {
        table = null!;
        var key = (jobId, batch);
        if (attempt == Guid.Empty || !_entries.TryGetValue(key, out var entry) || entry.Attempt != attempt
            || !_entries.TryRemove(new KeyValuePair<(string, int), Entry>(key, entry)))
        {
            return false;
        }

        Release(entry.Bytes);
        table = entry.Table;
        return true;
    }

    /// <summary>Drops everything kept for a job: at an attempt's start, and once it has ended.</summary>
    public void Forget(string jobId)
    {
        foreach (var key in _entries.Keys)
        {
            if (key.JobId == jobId && _entries.TryRemove(key, out var entry))
            {
                Release(entry.Bytes);
            }
        }
    }

    private bool TryReserve(long size)
    {
        while (true)
        {
            var held = Interlocked.Read(ref _bytes);
            if (held + size > _budget)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _bytes, held + size, held) == held)
            {
                return true;
            }
        }
    }

    private void Release(long size) => Interlocked.Add(ref _bytes, -size);

    private sealed record Entry(Guid Attempt, FeatureTable Table, long Bytes);
}
