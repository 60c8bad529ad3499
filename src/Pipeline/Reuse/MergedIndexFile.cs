using System.Security.Cryptography;
using System.Text;
using Fruits.Pipeline.Output;
using Fruits.Pipeline.Storage;
using Parquet;
using Parquet.Schema;
using Parquet.Serialization;

namespace Fruits.Pipeline.Reuse;

/// <summary>
/// The index files of many segments as one file, so that loading a store's index reads a few objects instead of one
/// per segment (a million images make some 16,000 index files: 16,000 requests on S3 for every silo that starts).
/// A copy, never the only record: each segment keeps its own index file, and a merged file that does not read only
/// sends its reader to those. Named by the digest of the segments it covers, so writing the same set twice writes
/// the same key.
/// </summary>
public static class MergedIndexFile
{
    private static readonly ParquetSchema Schema = typeof(MergedIndexRow).GetParquetSchema(forWriting: true);

    /// <summary>Writes the entries of <paramref name="segments"/> as one merged file; returns its key.</summary>
    public static async Task<string> WriteAsync(IObjectStore store, IReadOnlyList<IndexedSegment> segments, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(segments);
        var ordered = segments.OrderBy(s => s.Id, StringComparer.Ordinal).ToList();
        var rows = ordered.Sum(s => s.Hashes.Count);
        var segmentColumn = new string[rows];
        var rowColumn = new int[rows];
        var hashColumn = new string[rows];
        var versionColumn = new string?[rows];
        var at = 0;
        foreach (var segment in ordered)
        {
            for (var row = 0; row < segment.Hashes.Count; row++, at++)
            {
                segmentColumn[at] = segment.Id;
                rowColumn[at] = row;
                hashColumn[at] = segment.Hashes[row].Hex;
                versionColumn[at] = segment.Versions?[row] is { } version ? ImageVersionKey.Format(version) : null;
            }
        }

        var key = FeatureStoreLayout.MergedIndex(Id(ordered.Select(s => s.Id)));
        var fields = Schema.GetDataFields();
        await ParquetParts.WriteColumnsAsync(store, key, Schema, (rows * 140) + 4096, null, async group =>
        {
            await group.WriteAsync(fields[0], segmentColumn, null);
            await group.WriteAsync<int>(fields[1], rowColumn.AsMemory(), null, null, cancellationToken);
            await group.WriteAsync(fields[2], hashColumn, null);
            await group.WriteAsync(fields[3], versionColumn, null);
        }, cancellationToken);
        return key;
    }

    /// <summary>
    /// The segments a merged file covers, each with its rows in order; null when the file is missing, unreadable or
    /// not well-formed (a segment whose rows are not 0, 1, 2, ... in order, or a hash that does not parse).
    /// </summary>
    public static async Task<IReadOnlyList<IndexedSegment>?> TryReadAsync(IObjectStore store, string key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        try
        {
            using var buffer = await ParquetParts.ReadToMemoryAsync(store, key, cancellationToken);
            await using var reader = await ParquetReader.CreateAsync(buffer, cancellationToken: cancellationToken);
            var fields = reader.Schema.GetDataFields();
            if (fields.Length != Schema.GetDataFields().Length || !fields.Select(f => f.Name).SequenceEqual(Schema.GetDataFields().Select(f => f.Name)))
            {
                return null;
            }

            var segments = new List<(string Id, List<ContentHash> Hashes, List<UInt128?> Versions)>();
            for (var g = 0; g < reader.RowGroupCount; g++)
            {
                using var group = reader.OpenRowGroupReader(g);
                var count = checked((int)group.RowCount);
                var ids = new string?[count];
                var rows = new int[count];
                var hexes = new string?[count];
                var versions = new string?[count];
                await group.ReadAsync(fields[0], ids.AsMemory(), null, cancellationToken);
                await group.ReadAsync(fields[1], rows.AsMemory(), null, cancellationToken);
                await group.ReadAsync(fields[2], hexes.AsMemory(), null, cancellationToken);
                await group.ReadAsync(fields[3], versions.AsMemory(), null, cancellationToken);
                for (var i = 0; i < count; i++)
                {
                    if (ids[i] is not { } id || !FeatureStoreLayout.IsSegmentId(id) || hexes[i] is not { } hex || ContentHash.Parse(hex) is not { } hash)
                    {
                        return null;
                    }

                    if (segments.Count == 0 || segments[^1].Id != id)
                    {
                        segments.Add((id, [], []));
                    }

                    var current = segments[^1];
                    if (rows[i] != current.Hashes.Count)
                    {
                        return null;
                    }

                    current.Hashes.Add(hash);
                    current.Versions.Add(ImageVersionKey.Parse(versions[i]));
                }
            }

            // A segment listed twice (not in one run of rows) is not a file this type wrote.
            return segments.Select(s => s.Id).Distinct(StringComparer.Ordinal).Count() == segments.Count
                ? [.. segments.Select(s => new IndexedSegment(s.Id, s.Hashes, s.Versions))]
                : null;
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            // A copy: whatever it would have given is still in the segments' own index files.
            return null;
        }
    }

    /// <summary>The first 128 bits of the SHA-256 of the covered segments' ids in ordinal order.</summary>
    private static string Id(IEnumerable<string> segmentIds)
    {
        using var digest = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var id in segmentIds)
        {
            digest.AppendData(Encoding.ASCII.GetBytes(id));
        }

        return Convert.ToHexStringLower(digest.GetHashAndReset())[..32];
    }
}
