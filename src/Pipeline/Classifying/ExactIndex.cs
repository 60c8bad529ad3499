using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Fruits.Pipeline.Classifying;

/// <summary>
/// Rows of PCA features held as one contiguous row-major block, searched exhaustively with SIMD. Exhaustive search
/// is exact, needs no build step and, at the few dozen dimensions a job keeps, scans a million rows in milliseconds
/// (docs/BENCHMARKS.md), so no approximate index is needed. Immutable after construction: thread-safe.
/// </summary>
public sealed class ExactIndex
{
    private readonly float[] _rows;
    private readonly int _stride;
    private readonly int[] _labelIds;
    private readonly string[] _labels;
    private readonly string[] _paths;
    private readonly HashSet<string> _pathSet;

    /// <param name="rows">Count x <paramref name="dimension"/> floats, row-major; kept, not copied.</param>
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
        // Rows padded with zeros to whole SIMD vectors: no scalar tail per row, and the padding adds nothing to a distance.
        _stride = (dimension + Vector<float>.Count - 1) / Vector<float>.Count * Vector<float>.Count;
        if (_stride == dimension)
        {
            _rows = rows;
        }
        else
        {
            _rows = new float[labels.Count * _stride];
            for (var r = 0; r < labels.Count; r++)
            {
                rows.AsSpan(r * dimension, dimension).CopyTo(_rows.AsSpan(r * _stride));
            }
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
        return (_stride * sizeof(float)) + sizeof(int) + setEntry + ((double)pathBytes / Count);
    }

    public bool Contains(string path) => _pathSet.Contains(path);

    /// <summary>The <paramref name="count"/> rows nearest to <paramref name="query"/>, nearest first; ties keep row order.</summary>
    /// <remarks>A large index is scanned in one slice per core, each slice's nearest merged: a query's latency, not just throughput, scales with cores.</remarks>
    public IReadOnlyList<NearestRow> Search(ReadOnlySpan<float> query, int count)
    {
        if (query.Length != Dimension)
        {
            throw new ArgumentException($"the query has {query.Length} dimensions, the index {Dimension}", nameof(query));
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        count = Math.Min(count, Count);
        if (count == 0)
        {
            return [];
        }

        var padded = new float[_stride];
        query.CopyTo(padded);
        var slices = Count >= ParallelRows ? Math.Min(Environment.ProcessorCount, Count / (ParallelRows / 4)) : 1;
        var found = new (float Distance, int Row)[slices][];
        if (slices == 1)
        {
            found[0] = Scan(padded, count, 0, Count);
        }
        else
        {
            Parallel.For(0, slices, s => found[s] = Scan(padded, count, (int)((long)Count * s / slices), (int)((long)Count * (s + 1) / slices)));
        }

        return found.SelectMany(f => f)
            .Where(f => f.Row >= 0)
            .OrderBy(f => f.Distance)
            .ThenBy(f => f.Row)
            .Take(count)
            .Select(f => new NearestRow(_paths[f.Row], _labels[_labelIds[f.Row]], MathF.Sqrt(f.Distance)))
            .ToList();
    }

    /// <summary>Rows from which a query is scanned in parallel slices.</summary>
    public const int ParallelRows = 65_536;

    private (float Distance, int Row)[] Scan(float[] query, int count, int first, int end)
    {
        var bestDistance = new float[count];
        var bestRow = new int[count];
        Array.Fill(bestDistance, float.PositiveInfinity);
        Array.Fill(bestRow, -1);
        var worst = float.PositiveInfinity;
        var rows = _rows.AsSpan();
        var q = query.AsSpan();
        for (var r = first; r < end; r++)
        {
            var d = SquaredDistance(q, rows.Slice(r * _stride, _stride));
            if (d >= worst)
            {
                continue;
            }

            // Insertion into the short sorted list; a row replaces the current worst.
            var i = count - 1;
            while (i > 0 && bestDistance[i - 1] > d)
            {
                bestDistance[i] = bestDistance[i - 1];
                bestRow[i] = bestRow[i - 1];
                i--;
            }

            bestDistance[i] = d;
            bestRow[i] = r;
            worst = bestDistance[count - 1];
        }

        var result = new (float, int)[count];
        for (var i = 0; i < count; i++)
        {
            result[i] = (bestDistance[i], bestRow[i]);
        }

        return result;
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
