using Fruits.Pipeline.Output;
using Fruits.Pipeline.Storage;
using Parquet;
using Parquet.Schema;
using Parquet.Serialization;

namespace Fruits.Pipeline.Reuse;

/// <summary>
/// The features part of a batch whose every row was found in the feature store: it names the segment row of each
/// image instead of holding its features, so a rerun over stored images writes a few kilobytes per batch rather than
/// encoding every feature again. Its footer carries the batch commit, the store's namespace and the segments it
/// needs; a reader resolves the rows there and checks each against the content hash it recorded.
/// </summary>
public static class FeatureReferences
{
    private static readonly ParquetSchema Schema = typeof(FeatureReferenceRow).GetParquetSchema(forWriting: true);

    /// <summary>
    /// Writes the part for <paramref name="paths"/> whose features are <paramref name="hits"/> (one per row, by
    /// destination row) in the namespace at <paramref name="featureStore"/>. <paramref name="commit"/> counts the
    /// batch; its errors part, if any, must already be written.
    /// </summary>
    public static async Task WriteAsync(
        IObjectStore output,
        string key,
        IReadOnlyList<string> paths,
        IReadOnlyList<string> labels,
        IReadOnlyList<FeatureStoreHit> hits,
        StorageLocation featureStore,
        BatchCommit commit,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(hits);
        ArgumentNullException.ThrowIfNull(featureStore);
        ArgumentNullException.ThrowIfNull(commit);
        if (paths.Count == 0 || labels.Count != paths.Count || hits.Count != paths.Count || commit.Succeeded != paths.Count || commit.Reused != paths.Count
            || hits.Select((hit, row) => hit.DestinationRow != row).Any(moved => moved))
        {
            throw new ArgumentException($"a part of {paths.Count} rows needs one stored entry per row, in row order, and a commit of as many reused rows", nameof(hits));
        }

        var segments = hits.Select(h => h.Entry.SegmentId).Distinct(StringComparer.Ordinal).ToArray();
        var fields = Schema.GetDataFields();
        var metadata = (commit with { FeatureStore = featureStore.Uri, Segments = segments }).ToMetadata();
        await ParquetParts.WriteColumnsAsync(output, key, Schema, (paths.Count * 400) + 4096, metadata, async group =>
        {
            await group.WriteAsync(fields[0], paths as IReadOnlyCollection<string> ?? [.. paths], null);
            await group.WriteAsync(fields[1], labels as IReadOnlyCollection<string> ?? [.. labels], null);
            await group.WriteAsync(fields[2], hits.Select(h => h.Hash.Hex).ToArray(), null);
            await group.WriteAsync(fields[3], hits.Select(h => h.Entry.SegmentId).ToArray(), null);
            await group.WriteAsync<int>(fields[4], hits.Select(h => h.Entry.Row).ToArray().AsMemory(), null, null, cancellationToken);
        }, cancellationToken);
    }

    /// <summary>
    /// The rows of an open reference part with their features read from <paramref name="store"/>. Throws a one-line
    /// <see cref="InvalidDataException"/> when a segment is gone or no longer holds a row's image.
    /// </summary>
    public static async Task<FeatureTable> ResolveAsync(ParquetReader reader, string key, FeatureStore store, int dimension, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(store);
        var fields = reader.Schema.GetDataFields();
        var paths = new List<string>();
        var labels = new List<string>();
        var hits = new List<FeatureStoreHit>();
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            var rows = checked((int)group.RowCount);
            var columns = new string?[4][];
            for (var c = 0; c < columns.Length; c++)
            {
                columns[c] = new string?[rows];
                await group.ReadAsync(Field(fields, c, key), columns[c].AsMemory(), null, cancellationToken);
            }

            var segmentRows = new int[rows];
            await group.ReadAsync<int>(Field(fields, 4, key), segmentRows.AsMemory(), null, cancellationToken);
            for (var r = 0; r < rows; r++)
            {
                if (columns[0][r] is not { } path || columns[1][r] is not { } label || ContentHash.Parse(columns[2][r] ?? "") is not { } hash
                    || columns[3][r] is not { } segment || !FeatureStoreLayout.IsSegmentId(segment))
                {
                    throw new InvalidDataException($"{key}: row {paths.Count} does not name an image and its stored features");
                }

                hits.Add(new FeatureStoreHit(hash, new FeatureStoreEntry(segment, segmentRows[r]), paths.Count));
                paths.Add(path);
                labels.Add(label);
            }
        }

        var features = new float[paths.Count * dimension];
        var missing = await store.ReadAsync(hits, features, dimension, cancellationToken: cancellationToken);
        if (missing.Count > 0)
        {
            var first = hits[missing[0]].Entry.SegmentId;
            throw new InvalidDataException(
                $"{key}: the features of {missing.Count} of its {hits.Count} images are no longer in the feature store (segment {first} is gone or changed); run the job again to featurize them");
        }

        return new FeatureTable(paths, labels, features, dimension);
    }

    private static DataField Field(DataField[] fields, int column, string key)
    {
        var name = Schema.GetDataFields()[column].Path.ToString();
        return fields.FirstOrDefault(f => f.Path.ToString() == name) ?? throw new InvalidDataException($"{key} has no '{name}' column");
    }
}
