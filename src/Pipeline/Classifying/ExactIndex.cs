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
/// PCA components come in decreasing variance, so most of a distance is in a row's first components. A row's
/// features are kept in blocks, each block one contiguous array over all rows: the first
/// <see cref="BlockDimensions"/> components, the next <see cref="BlockDimensions"/>, then the rest. A scan reads
/// every row's first block, and reads a row's next block only while the distance summed so far is still under the
/// current k-th nearest. A partial sum of squares never exceeds the whole, so a skipped row could not have been
/// among the nearest, and the answer (rows, distances, tie order) is the one a scan of every whole row gives;
/// at k = 61 the first block is an eighth of the bytes, and most rows are decided by it.
/// </remarks>
public sealed class ExactIndex
{
    /// <summary>
    /// Components in each of the first two blocks: one SIMD vector (on AVX2), so the first block, which every
    /// row is read for, is as small as a block can be; the second spares most of the remaining rows their tails.
    /// </summary>
    public const int BlockDimensions = 8;

    private readonly float[][] _blocks;
    private readonly int[] _strides;
    private readonly int _paddedLength;
    private readonly int[] _labelIds;
    private readonly string[] _labels;
    private readonly string[] _paths;
    private readonly HashSet<string> _pathSet;

    /// <param name="rows">Count x <paramref name="dimension"/> floats, row-major; copied into the blocks.</param>
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
        // Each block is padded with zeros to whole SIMD vectors: no scalar remainder per row, and the padding adds
        // nothing to a distance. Only the last block has padding, and a row of few components (a small k) has
        // fewer blocks.
        var width = Vector<float>.Count;
        var blockWidth = (BlockDimensions + width - 1) / width * width;
        var widths = new List<int>();
        for (var start = 0; start < dimension; start += blockWidth)
        {
            widths.Add(widths.Count < 2 ? Math.Min(blockWidth, dimension - start) : dimension - start);
            if (widths.Count == 3)
            {
                break;
            }
        }

        var count = labels.Count;
        _blocks = new float[widths.Count][];
        _strides = new int[widths.Count];
        var first = 0;
        for (var b = 0; b < widths.Count; b++)
        {
            _strides[b] = (widths[b] + width - 1) / width * width;
            var block = _blocks[b] = new float[(long)count * _strides[b]];
            for (var r = 0; r < count; r++)
            {
                rows.AsSpan((r * dimension) + first, widths[b]).CopyTo(block.AsSpan(r * _strides[b]));
            }

            first += widths[b];
        }

        _paddedLength = _strides.Sum();

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
        return (_paddedLength * sizeof(float)) + sizeof(int) + setEntry + ((double)pathBytes / Count);
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
        // The query laid out as the blocks are: each block's components followed by its padding.
        var padded = new float[_paddedLength];
        for (int b = 0, from = 0, to = 0; b < _strides.Length; to += _strides[b], b++)
        {
            var take = Math.Min(_strides[b], Dimension - from);
            query.Slice(from, take).CopyTo(padded.AsSpan(to));
            from += take;
        }

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
    /// distance is summed lane by lane over the first block's vectors, then the next block's, in the order a scan
    /// of the whole padded row sums them, so a row's distance is the same to the bit however many blocks were
    /// needed; a lane's running sum only grows, so the sum over the blocks read so far is a lower bound of the row's.
    /// </summary>
    private void Scan(float[] query, NearestList nearest, int first, int end)
    {
        var width = Vector<float>.Count;
        ref var q = ref MemoryMarshal.GetArrayDataReference(query);
        ref var head = ref MemoryMarshal.GetArrayDataReference(_blocks[0]);
        var headStride = _strides[0];
        var headVectors = headStride / width;
        var bound = nearest.Bound;
        for (var r = first; r < end; r++)
        {
            ref var row = ref Unsafe.Add(ref head, (nint)r * headStride);
            var sum = Vector<float>.Zero;
            for (var v = 0; v < headVectors; v++)
            {
                var diff = Vector.LoadUnsafe(ref row, (nuint)(v * width)) - Vector.LoadUnsafe(ref q, (nuint)(v * width));
                sum += diff * diff;
            }

            var distance = Vector.Sum(sum);
            var offset = headStride;
            for (var b = 1; b < _blocks.Length && distance < bound; b++)
            {
                var stride = _strides[b];
                ref var rest = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_blocks[b]), (nint)r * stride);
                ref var qRest = ref Unsafe.Add(ref q, offset);
                for (var v = 0; v < stride / width; v++)
                {
                    var diff = Vector.LoadUnsafe(ref rest, (nuint)(v * width)) - Vector.LoadUnsafe(ref qRest, (nuint)(v * width));
                    sum += diff * diff;
                }

                distance = Vector.Sum(sum);
                offset += stride;
            }

            if (distance < bound && nearest.Offer(distance, r))
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
