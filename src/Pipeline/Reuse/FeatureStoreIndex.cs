namespace Fruits.Pipeline.Reuse;

/// <summary>
/// Where each stored image's features are: content hash -> (segment, row). About 40 bytes an entry, so a silo
/// holds the index of millions of images. Thread-safe; entries are only ever added.
/// </summary>
public sealed class FeatureStoreIndex
{
    private readonly Dictionary<UInt128, (int Segment, int Row)> _entries = [];
    private readonly List<string> _segments = [];
    private readonly HashSet<string> _loadedIndexes = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    public bool IsLoaded(string segmentId)
    {
        lock (_gate)
        {
            return _loadedIndexes.Contains(segmentId);
        }
    }

    /// <summary>Adds the entries of one segment: its rows' hashes, in row order.</summary>
    public void AddSegment(string segmentId, IReadOnlyList<ContentHash> rows)
    {
        lock (_gate)
        {
            if (!_loadedIndexes.Add(segmentId))
            {
                return;
            }

            var segment = _segments.Count;
            _segments.Add(segmentId);
            for (var row = 0; row < rows.Count; row++)
            {
                _entries[rows[row].Prefix] = (segment, row);
            }
        }
    }

    public bool TryFind(ContentHash hash, out FeatureStoreEntry entry)
    {
        lock (_gate)
        {
            if (_entries.TryGetValue(hash.Prefix, out var found))
            {
                entry = new FeatureStoreEntry(_segments[found.Segment], found.Row);
                return true;
            }
        }

        entry = default;
        return false;
    }
}
