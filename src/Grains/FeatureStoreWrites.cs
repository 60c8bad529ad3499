using System.Buffers;
using System.Collections.Concurrent;
using Fruits.Pipeline.Reuse;
using Microsoft.Extensions.Logging;

namespace Fruits.Grains;

/// <summary>
/// This silo's feature-store writes, by job: the misses its featurizers hand over, gathered into segments of
/// <see cref="SegmentRows"/> rows, and the writes still running. A batch returns as soon as its own parts are written:
/// the store is a cache, so syncing a segment need not hold the batch's slot while the next batch could be running the
/// model. The job waits for a silo's writes, and has it write what it still gathers, when it takes that silo's
/// statistics (so a finished job has stored what it featurized); a stopping silo does the same for every job.
/// </summary>
/// <remarks>
/// Gathered rather than one segment per batch: a batch whose images were mostly found has a few misses, and a folder
/// that grew by a few photos per label makes one such batch per label. Written one by one, each costs a segment and
/// an index file of a few rows; gathered, the cost is that of full batches. Rows gathered and not yet written are lost
/// with the silo, which only means a later job featurizes them again.
/// </remarks>
public sealed partial class FeatureStoreWrites(ILogger<FeatureStoreWrites> logger)
{
    /// <summary>Rows a segment gathers before it is written: a full batch's.</summary>
    public const int SegmentRows = 64;

    private readonly ConcurrentDictionary<string, ConcurrentDictionary<Task, byte>> _pending = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string JobId, string Namespace), Gathering> _gathering = new();

    /// <summary>
    /// Gathers misses of <paramref name="jobId"/> for <paramref name="store"/>: row <c>rows[i]</c> of
    /// <paramref name="features"/> (rows of <paramref name="dimension"/>), featurized from content <c>hashes[i]</c> at
    /// image version <c>versions[i]</c>. Writes a segment, in the background, each time <see cref="SegmentRows"/> are
    /// gathered. The features are copied before this returns.
    /// </summary>
    public void Store(string jobId, string storeNamespace, FeatureStore store, FeatureStoreIndex index, IReadOnlyList<ContentHash> hashes, IReadOnlyList<UInt128?> versions, IReadOnlyList<int> rows, ReadOnlySpan<float> features, int dimension)
    {
        ArgumentNullException.ThrowIfNull(hashes);
        ArgumentNullException.ThrowIfNull(versions);
        ArgumentNullException.ThrowIfNull(rows);
        List<GatheredSegment>? full = null;
        for (var added = false; !added;)
        {
            var gathering = _gathering.GetOrAdd((jobId, storeNamespace), _ => new Gathering(store, index, dimension));
            lock (gathering)
            {
                // Closed by the job's flush between the lookup and the lock: its rows went, these start a new one.
                if (gathering.Closed)
                {
                    continue;
                }

                for (var i = 0; i < hashes.Count; i++)
                {
                    if (gathering.Add(hashes[i], versions[i], features.Slice(rows[i] * dimension, dimension)) == SegmentRows)
                    {
                        (full ??= []).Add(gathering.Take());
                    }
                }

                added = true;
            }
        }

        foreach (var segment in full ?? [])
        {
            Start(jobId, segment);
        }
    }

    /// <param name="write">A write that reports its own failure and never throws.</param>
    public void Track(string jobId, Task write)
    {
        ArgumentNullException.ThrowIfNull(write);
        if (write.IsCompleted)
        {
            return;
        }

        var writes = _pending.GetOrAdd(jobId, _ => new ConcurrentDictionary<Task, byte>());
        writes[write] = 0;
        _ = write.ContinueWith(done => writes.TryRemove(done, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Writes what <paramref name="jobId"/> still gathers; completes once every write of the job so far is done.</summary>
    public async Task FlushAsync(string jobId)
    {
        WriteGathered(jobId);
        if (_pending.TryGetValue(jobId, out var writes))
        {
            await Task.WhenAll(writes.Keys);
            if (writes.IsEmpty)
            {
                _pending.TryRemove(new KeyValuePair<string, ConcurrentDictionary<Task, byte>>(jobId, writes));
            }
        }
    }

    /// <summary>Writes what <paramref name="jobId"/> still gathers, without waiting: the job has ended, or begins an attempt afresh.</summary>
    public void WriteGathered(string jobId)
    {
        foreach (var key in _gathering.Keys.Where(k => k.JobId == jobId))
        {
            if (_gathering.TryRemove(key, out var gathering))
            {
                GatheredSegment? rest;
                lock (gathering)
                {
                    rest = gathering.Count > 0 ? gathering.Take() : null;
                    gathering.Close();
                }

                if (rest is not null)
                {
                    Start(jobId, rest);
                }
            }
        }
    }

    public Task FlushAllAsync(CancellationToken cancellationToken)
    {
        foreach (var jobId in _gathering.Keys.Select(k => k.JobId).Distinct(StringComparer.Ordinal).ToList())
        {
            WriteGathered(jobId);
        }

        return Task.WhenAll(_pending.Values.SelectMany(writes => writes.Keys)).WaitAsync(cancellationToken);
    }

    /// <remarks>
    /// On the thread pool, not in the caller's turn. Started in a featurizer's turn, the write (the encoding, then two
    /// files and two folders synced, or two S3 requests) would hold that featurizer's activation: what runs before its
    /// first yield delays the batch's return, and each continuation after one queues on the activation, behind and
    /// ahead of its next images' decoding and inference.
    /// </remarks>
    private void Start(string jobId, GatheredSegment segment) =>
        Track(jobId, Task.Run(() => WriteAsync(jobId, segment), CancellationToken.None));

    private async Task WriteAsync(string jobId, GatheredSegment segment)
    {
        try
        {
            await segment.Store.WriteAsync(segment.Hashes, segment.Features, segment.Dimension, segment.Index, segment.Versions);
        }
        catch (Exception e) when (e is not OutOfMemoryException and not OperationCanceledException)
        {
            LogWriteFailed(jobId, segment.Hashes.Count, e.Message.ReplaceLineEndings(" ").Trim());
        }
        finally
        {
            ArrayPool<float>.Shared.Return(segment.Features);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: the features of {Rows} images not stored in the feature store: {Reason}")]
    private partial void LogWriteFailed(string jobId, int rows, string reason);

    /// <summary>A segment's rows as they are gathered, in a pooled buffer of <see cref="SegmentRows"/> rows.</summary>
    private sealed class Gathering(FeatureStore store, FeatureStoreIndex index, int dimension)
    {
        private List<ContentHash> _hashes = new(SegmentRows);
        private List<UInt128?> _versions = new(SegmentRows);
        private float[] _features = ArrayPool<float>.Shared.Rent(SegmentRows * dimension);

        public int Count => _hashes.Count;

        /// <summary>Adds a row; returns how many are gathered now.</summary>
        public int Add(ContentHash hash, UInt128? version, ReadOnlySpan<float> features)
        {
            features.CopyTo(_features.AsSpan(_hashes.Count * dimension, dimension));
            _hashes.Add(hash);
            _versions.Add(version);
            return _hashes.Count;
        }

        /// <summary>The rows gathered, as a segment to write (which returns its buffer to the pool); gathering starts afresh.</summary>
        public GatheredSegment Take()
        {
            var segment = new GatheredSegment(store, index, _hashes, _versions, _features, dimension);
            _hashes = new List<ContentHash>(SegmentRows);
            _versions = new List<UInt128?>(SegmentRows);
            _features = ArrayPool<float>.Shared.Rent(SegmentRows * dimension);
            return segment;
        }

        /// <summary>Whether <see cref="Close"/> was called: nothing more may be added.</summary>
        public bool Closed { get; private set; }

        /// <summary>Returns the empty buffer: nothing more is gathered here.</summary>
        public void Close()
        {
            Closed = true;
            ArrayPool<float>.Shared.Return(_features);
        }
    }

    private sealed record GatheredSegment(FeatureStore Store, FeatureStoreIndex Index, List<ContentHash> Hashes, List<UInt128?> Versions, float[] Features, int Dimension);
}
