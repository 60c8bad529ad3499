using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Fruits.Pipeline.Classifying;

/// <summary>
/// Rows of PCA features searched exhaustively with SIMD. Exhaustive search is exact, needs no build step and, at
/// the few dozen dimensions a job keeps, scans a million rows in milliseconds (docs/BENCHMARKS.md), so no
/// approximate index is needed. Immutable after construction: thread-safe.
/// </summary>
/// <remarks>
/// PCA components come in decreasing variance, so most of a distance is in a row's first components. Each row's
/// first <see cref="HeadDimensions"/> features are kept in one contiguous "head" block and the rest in a "tail"
/// block: a scan reads every head, and reads a tail only when the distance over the head is still under the
/// current k-th nearest. A partial sum of squares never exceeds the whole, so a skipped row could not have been
/// among the nearest, and the answer (rows, distances, tie order) is the one a scan of every whole row gives;
/// most of the tails, three quarters of the bytes at k = 61, are never read.
/// </remarks>
public sealed class ExactIndex
{
    /// <summary>
    /// Features per row in the head block: a whole number of SIMD vectors, and enough components to hold most of
    /// a distance, so that few tails are read.
    /// </summary>
    public const int HeadDimensions = 16;

    private readonly float[] _head;
    private readonly float[] _tail;
    private readonly int _headStride;
    private readonly int _tailStride;
    private readonly int[] _labelIds;
    private readonly string[] _labels;
    private readonly string[] _paths;
    private readonly HashSet<string> _pathSet;

    /// <param name="rows">Count x <paramref name="dimension"/> floats, row-major; copied into the head and tail blocks.</param>
    public ExactIndex(int dimension, float[] rows, IReadOnlyList<string> labels, IReadOnlyList<string> paths)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        if (rows.Length != (long)labels.Count * dimension || labels.Count != paths.Count)
        {
            throw new ArgumentException($"{rows.Length} floats, {labels.Count} labels and {paths.Count} paths do not make rows of {dimension}");
        }

        Dimension = dimension;
        // Both blocks are padded with zeros to whole SIMD vectors: no scalar remainder per row, and the padding adds
        // nothing to a distance. A row that fits in the head (a small k) has no tail, and nothing to prune.
        var width = Vector<float>.Count;
        var headWidth = (HeadDimensions + width - 1) / width * width;
        var headDimensions = Math.Min(dimension, headWidth);
        _headStride = (headDimensions + width - 1) / width * width;
        _tailStride = (dimension - headDimensions + width - 1) / width * width;
        var count = labels.Count;
        _head = new float[(long)count * _headStride];
        _tail = new float[(long)count * _tailStride];
        for (var r = 0; r < count; r++)
        {
            var row = rows.AsSpan(r * dimension, dimension);
            row[..headDimensions].CopyTo(_head.AsSpan(r * _headStride));
            row[headDimensions..].CopyTo(_tail.AsSpan(r * _tailStride));
        }

        _paths = [.. paths];
        _pathSet = new HashSet<string>(_paths, StringComparer.Ordinal);
        // Labels repeat thousands of times: one id per row, one string per label.
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        _labelIds = new int[labels.Count];
        for (var i = 0; i < labels.Count; i++)
        {
            if (!ids.TryGetValue(labels[i], out var id))
            {
                id = ids.Count;
                ids.Add(labels[i], id);
            }

            _labelIds[i] = id;
        }

        _labels = new string[ids.Count];
        foreach (var (label, id) in ids)
        {
            _labels[id] = label;
        }
    }

    public int Dimension { get; }

    public int Count => _labelIds.Length;

    public IReadOnlyList<string> Labels => _labels;

    /// <summary>
    /// Bytes each row costs in memory: its features, its label id, its path string and its entry in the path set.
    /// </summary>
    public double BytesPerRow()
    {
        if (Count == 0)
        {
            return 0;
        }

        long pathBytes = 0;
        foreach (var path in _paths)
        {
            // A string object: 20 bytes of header and length, 2 bytes a char, padded to 8; plus its array slot.
            pathBytes += ((22 + (2L * path.Length) + 7) / 8 * 8) + 8;
        }

        const int setEntry = 24;
        return ((_headStride + _tailStride) * sizeof(float)) + sizeof(int) + setEntry + ((double)pathBytes / Count);
    }

    public bool Contains(string path) => _pathSet.Contains(path);

    /// <summary>The path and label of row <paramref name="row"/> (as numbered by <see cref="SearchRows"/>).</summary>
    public (string Path, string Label) Row(int row) => (_paths[row], _labels[_labelIds[row]]);

    /// <summary>The <paramref name="count"/> rows nearest to <paramref name="query"/>, nearest first; ties keep row order.</summary>
    /// <remarks>A large index is scanned in one slice per core, each slice's nearest merged: a query's latency, not just throughput, scales with cores.</remarks>
    public IReadOnlyList<NearestRow> Search(ReadOnlySpan<float> query, int count)
    {
        var nearest = SearchRows(query, count);
        var found = new NearestRow[nearest.Count];
        for (var i = 0; i < found.Length; i++)
        {
            var (path, label) = Row(nearest.RowAt(i));
            found[i] = new NearestRow(path, label, MathF.Sqrt(nearest.DistanceAt(i)));
        }

        return found;
    }

    /// <summary>
    /// The <paramref name="count"/> rows nearest to <paramref name="query"/> as row numbers (in the order the rows
    /// were given) and squared distances, nearest first; ties keep row order.
    /// </summary>
    public NearestList SearchRows(ReadOnlySpan<float> query, int count)
    {
        if (query.Length != Dimension)
        {
            throw new ArgumentException($"the query has {query.Length} dimensions, the index {Dimension}", nameof(query));
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        count = Math.Min(count, Math.Max(Count, 1));
        var padded = new float[_headStride + _tailStride];
        var headDimensions = Math.Min(Dimension, _headStride);
        query[..headDimensions].CopyTo(padded);
        query[headDimensions..].CopyTo(padded.AsSpan(_headStride));
        var slices = Count >= ParallelRows ? Math.Min(Environment.ProcessorCount, Count / (ParallelRows / 4)) : 1;
        if (slices <= 1)
        {
            var nearest = new NearestList(count);
            Scan(padded, nearest, 0, Count);
            return nearest;
        }

        var found = new NearestList[slices];
        Parallel.For(0, slices, s =>
        {
            found[s] = new NearestList(count);
            Scan(padded, found[s], (int)((long)Count * s / slices), (int)((long)Count * (s + 1) / slices));
        });

        // Slices hold ascending row ranges: merged in slice order, ties stay in row order.
        var merged = new NearestList(count);
        foreach (var slice in found)
        {
            merged.OfferAll(slice);
        }

        return merged;
    }

    /// <summary>Rows from which a query is scanned in parallel slices.</summary>
    public const int ParallelRows = 65_536;

    /// <summary>
    /// Offers rows [<paramref name="first"/>, <paramref name="end"/>) to <paramref name="nearest"/> in row order. The
    /// distance is summed lane by lane over the head's vectors and then the tail's, in the order a scan of the whole
    /// padded row sums them, so a row's distance is the same to the bit whether or not its tail was needed; a lane's
    /// running sum only grows, so the head's sum is a lower bound of the row's.
    /// </summary>
    private void Scan(float[] query, NearestList nearest, int first, int end)
    {
        var width = Vector<float>.Count;
        var headVectors = _headStride / width;
        var tailVectors = _tailStride / width;
        ref var q = ref MemoryMarshal.GetArrayDataReference(query);
        ref var head = ref MemoryMarshal.GetArrayDataReference(_head);
        ref var tail = ref MemoryMarshal.GetArrayDataReference(_tail);
        ref var qTail = ref Unsafe.Add(ref q, _headStride);
        var bound = nearest.Bound;
        for (var r = first; r < end; r++)
        {
            ref var row = ref Unsafe.Add(ref head, (nint)r * _headStride);
            var sum = Vector<float>.Zero;
            for (var v = 0; v < headVectors; v++)
            {
                var diff = Vector.LoadUnsafe(ref row, (nuint)(v * width)) - Vector.LoadUnsafe(ref q, (nuint)(v * width));
                sum += diff * diff;
            }

            var distance = Vector.Sum(sum);
            if (distance >= bound)
            {
                continue;
            }

            if (tailVectors > 0)
            {
                ref var rest = ref Unsafe.Add(ref tail, (nint)r * _tailStride);
                for (var v = 0; v < tailVectors; v++)
                {
                    var diff = Vector.LoadUnsafe(ref rest, (nuint)(v * width)) - Vector.LoadUnsafe(ref qTail, (nuint)(v * width));
                    sum += diff * diff;
                }

                distance = Vector.Sum(sum);
            }

            if (nearest.Offer(distance, r))
            {
                bound = nearest.Bound;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SquaredDistance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var sum = Vector<float>.Zero;
        var i = 0;
        if (Vector.IsHardwareAccelerated && a.Length >= Vector<float>.Count)
        {
            var va = MemoryMarshal.Cast<float, Vector<float>>(a);
            var vb = MemoryMarshal.Cast<float, Vector<float>>(b);
            for (var v = 0; v < va.Length; v++)
            {
                var diff = va[v] - vb[v];
                sum += diff * diff;
            }

            i = va.Length * Vector<float>.Count;
        }

        var total = Vector.Sum(sum);
        for (; i < a.Length; i++)
        {
            var diff = a[i] - b[i];
            total += diff * diff;
        }

        return total;
    }
}
