namespace Fruits.Pipeline.Classifying;

/// <summary>
/// The <see cref="Capacity"/> nearest rows offered so far, as (squared distance, row) pairs kept sorted nearest
/// first: the one top-k list of every scan over rows. A row enters only when strictly nearer than the current
/// <see cref="Bound"/> and goes after rows at the same distance, so offering rows in increasing row order keeps
/// ties in row order, and an exhaustive scan, a pruned one and a merge of slices all answer the same rows.
/// Not thread-safe: one per scan.
/// </summary>
public sealed class NearestList
{
    private readonly float[] _distances;
    private readonly int[] _rows;

    public NearestList(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _distances = new float[capacity];
        _rows = new int[capacity];
        Clear();
    }

    public int Capacity => _distances.Length;

    /// <summary>Rows held: fewer than <see cref="Capacity"/> only until that many were offered.</summary>
    public int Count { get; private set; }

    /// <summary>
    /// What a row's distance must be under to enter: the farthest held distance once the list is full, infinity
    /// before. A scan may skip a row as soon as any lower bound of its distance reaches this.
    /// </summary>
    public float Bound => _distances[^1];

    /// <summary>Adds the row when it is nearer than <see cref="Bound"/>; says whether it did.</summary>
    public bool Offer(float distance, int row)
    {
        // Written as "not under" so that a NaN distance (a corrupt row) never enters.
        if (!(distance < _distances[^1]))
        {
            return false;
        }

        var i = _distances.Length - 1;
        while (i > 0 && _distances[i - 1] > distance)
        {
            _distances[i] = _distances[i - 1];
            _rows[i] = _rows[i - 1];
            i--;
        }

        _distances[i] = distance;
        _rows[i] = row;
        if (Count < _distances.Length)
        {
            Count++;
        }

        return true;
    }

    /// <summary>Offers every row another list holds, nearest first: merging lists of ascending row ranges in range order keeps ties in row order.</summary>
    public void OfferAll(NearestList other)
    {
        ArgumentNullException.ThrowIfNull(other);
        for (var i = 0; i < other.Count; i++)
        {
            if (!Offer(other._distances[i], other._rows[i]))
            {
                // Sorted: nothing after a refused row can enter either.
                return;
            }
        }
    }

    /// <summary>The squared distance of the <paramref name="rank"/>-th nearest row (0 = nearest).</summary>
    public float DistanceAt(int rank)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)rank, (uint)Count, nameof(rank));
        return _distances[rank];
    }

    /// <summary>The <paramref name="rank"/>-th nearest row (0 = nearest).</summary>
    public int RowAt(int rank)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)rank, (uint)Count, nameof(rank));
        return _rows[rank];
    }

    /// <summary>Empties the list for another scan.</summary>
    public void Clear()
    {
        Array.Fill(_distances, float.PositiveInfinity);
        Array.Fill(_rows, -1);
        Count = 0;
    }
}
