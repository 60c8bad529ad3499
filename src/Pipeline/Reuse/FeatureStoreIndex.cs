namespace Fruits.Pipeline.Reuse;

/// <summary>
/// Where each stored image's features are: content hash -> (segment, row), and image version -> content hash for the
/// images whose listing gave a version (<see cref="ImageVersionKey"/>). About 80 bytes an entry, so a silo holds the
/// index of millions of images. Thread-safe.
/// </summary>
/// <remarks>
/// An image stored in two segments (two jobs featurized it at once, or one featurized it again because its first
/// segment was lost) has one entry and one alternate. A segment that turns out lost or damaged is forgotten
/// (<see cref="Forget"/>): its images fall back to their alternates, so an image whose features are stored anywhere
/// readable is never featurized again, whichever of its index files a silo happened to load last.
/// </remarks>
public sealed class FeatureStoreIndex
{
    private readonly Dictionary<UInt128, (int Segment, int Row)> _entries = [];
    private readonly Dictionary<UInt128, (int Segment, int Row)> _alternates = [];
    private readonly Dictionary<string, int> _segmentNumbers = new(StringComparer.Ordinal);
    private readonly HashSet<int> _forgotten = [];
    private readonly Dictionary<UInt128, UInt128> _versions = [];
    private readonly List<string> _segments = [];
    private readonly HashSet<string> _loadedIndexes = new(StringComparer.Ordinal);
    private readonly HashSet<string> _mergedFiles = new(StringComparer.Ordinal);
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

    /// <summary>Whether the merged index file <paramref name="key"/> has been read into this index.</summary>
    public bool HasRead(string key)
    {
        lock (_gate)
        {
            return _mergedFiles.Contains(key);
        }
    }

    /// <summary>Adds the segments of the merged index file <paramref name="key"/>, each as <see cref="AddSegment"/> does.</summary>
    public void AddMerged(string key, IReadOnlyList<IndexedSegment> segments)
    {
        ArgumentNullException.ThrowIfNull(segments);
        foreach (var segment in segments)
        {
            AddSegment(segment.Id, segment.Hashes, segment.Versions);
        }

        MarkRead(key);
    }

    /// <summary>Records that this index holds every entry of the merged index file <paramref name="key"/> (it wrote them there).</summary>
    public void MarkRead(string key)
    {
        lock (_gate)
        {
            _mergedFiles.Add(key);
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
            _segmentNumbers[segmentId] = segment;
            for (var row = 0; row < rows.Count; row++)
            {
                if (_entries.TryGetValue(rows[row].Prefix, out var earlier) && earlier.Segment != segment && !_forgotten.Contains(earlier.Segment))
                {
                    _alternates[rows[row].Prefix] = earlier;
                }

                _entries[rows[row].Prefix] = (segment, row);
                if (versions?[row] is { } version)
                {
                    _versions[version] = rows[row].Prefix;
                }
            }
        }
    }

    /// <summary>
    /// Stops finding anything in segment <paramref name="segmentId"/>, which did not read or did not hold the rows its
    /// index file names: each of its images is found in its alternate segment, if it has one, or else not at all (and
    /// is featurized again). Its index file is not loaded again.
    /// </summary>
    /// <remarks>Its entries are dropped as they are next looked up, so forgetting costs the same in an index of millions.</remarks>
    public void Forget(string segmentId)
    {
        lock (_gate)
        {
            if (_segmentNumbers.TryGetValue(segmentId, out var segment))
            {
                _forgotten.Add(segment);
            }
        }
    }

    public bool TryFind(ContentHash hash, out FeatureStoreEntry entry)
    {
        lock (_gate)
        {
            if (TryResolve(hash.Prefix, out var found))
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
            if (_versions.TryGetValue(version, out prefix) && TryResolve(prefix, out var found))
            {
                entry = new FeatureStoreEntry(_segments[found.Segment], found.Row);
                return true;
            }
        }

        prefix = default;
        entry = default;
        return false;
    }

    /// <summary>The entry of <paramref name="prefix"/> in a segment not forgotten, falling back to its alternate; under the lock.</summary>
    private bool TryResolve(UInt128 prefix, out (int Segment, int Row) found)
    {
        if (_entries.TryGetValue(prefix, out found))
        {
            if (!_forgotten.Contains(found.Segment))
            {
                return true;
            }

            if (_alternates.Remove(prefix, out var alternate) && !_forgotten.Contains(alternate.Segment))
            {
                _entries[prefix] = alternate;
                found = alternate;
                return true;
            }

            _entries.Remove(prefix);
        }

        found = default;
        return false;
    }
}
