namespace Fruits.Pipeline.Reuse;

/// <summary>
/// Keys inside one namespace of a feature store. Entries are grouped into segments (of about a batch's worth of
/// misses), each named by the digest of its content hashes, so writing the same segment twice writes the same key.
/// Segments and their index files are spread over 256 folders by the first two hex digits of their id: a million
/// images make some 16,000 segments, about 60 a folder. Merged index files and kept statistics have folders of
/// their own (<see cref="MergedIndexPrefix"/>, <see cref="StatisticsMemo.Prefix"/>).
/// </summary>
public static class FeatureStoreLayout
{
    public const string SegmentsPrefix = "segments/";
    public const string IndexPrefix = "index/";
    public const string Extension = ".parquet";

    /// <summary>Where merged index files go (<see cref="MergedIndexFile"/>): beside the index files, never mistaken for one.</summary>
    public const string MergedIndexPrefix = "index/merged/";

    public static string Segment(string segmentId) => $"{SegmentsPrefix}{segmentId[..2]}/{segmentId}{Extension}";

    public static string Index(string segmentId) => $"{IndexPrefix}{segmentId[..2]}/{segmentId}{Extension}";

    public static string MergedIndex(string id) => $"{MergedIndexPrefix}{id}{Extension}";

    /// <summary>Whether <paramref name="key"/> is a merged index file's key this layout produces.</summary>
    public static bool IsMergedIndex(string key) =>
        key.StartsWith(MergedIndexPrefix, StringComparison.Ordinal) && key.EndsWith(Extension, StringComparison.Ordinal)
        && IsSegmentId(key[MergedIndexPrefix.Length..^Extension.Length]);

    /// <summary>The segment id of an index key this layout produces, else null (a user's or a temporary file).</summary>
    public static string? SegmentOfIndex(string key)
    {
        if (!key.StartsWith(IndexPrefix, StringComparison.Ordinal) || !key.EndsWith(Extension, StringComparison.Ordinal))
        {
            return null;
        }

        var id = key[(key.LastIndexOf('/') + 1)..^Extension.Length];
        return IsSegmentId(id) && Index(id) == key ? id : null;
    }

    /// <summary>Whether <paramref name="id"/> is a segment id this store makes: 32 lowercase hex digits.</summary>
    public static bool IsSegmentId(string id) => id.Length == 32 && id.All(char.IsAsciiHexDigitLower);
}
