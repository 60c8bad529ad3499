namespace Fruits.Pipeline.Reuse;

/// <summary>
/// Where each stored image's features are: content hash -> (segment, row), and image version -> content hash for the
/// images whose listing gave a version (<see cref="ImageVersionKey"/>). About 80 bytes an entry, so a silo holds the
/// index of millions of images. Thread-safe; entries are only ever added.
/// </summary>
public sealed class FeatureStoreIndex
{
    private readonly Dictionary<UInt128, (int Segment, int Row)> _entries = [];
    private readonly Dictionary<UInt128, UInt128> _versions = [];
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

    /// <summary>
    /// Adds the entries of one segment: its rows' hashes, in row order, and for each row the version key of the image
    /// it was featurized from (null where there is none, or no list at all).
    /// </summary>
    public void AddSegment(string segmentId, IReadOnlyList<ContentHash> rows, IReadOnlyList<UInt128?>? versions = null)
    {
        if (versions is not null && versions.Count != rows.Count)
        {
            throw new ArgumentException($"{rows.Count} rows need {rows.Count} version keys, got {versions.Count}", nameof(versions));
        }

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
                if (versions?[row] is { } version)
                {
                    _versions[version] = rows[row].Prefix;
                }
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

    /// <summary>
    /// The entry of the image whose listing gave <paramref name="version"/>, found without its bytes. Only the first
    /// 128 bits of its content hash are known here (<paramref name="prefix"/>); the segment row holds the rest, which
    /// the read checks against them.
    /// </summary>
    public bool TryFindVersion(UInt128 version, out UInt128 prefix, out FeatureStoreEntry entry)
    {
        lock (_gate)
        {
            if (_versions.TryGetValue(version, out prefix) && _entries.TryGetValue(prefix, out var found))
            {
                entry = new FeatureStoreEntry(_segments[found.Segment], found.Row);
                return true;
            }
        }

        prefix = default;
        entry = default;
        return false;
    }
}
