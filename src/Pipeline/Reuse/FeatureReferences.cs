using System.Runtime.InteropServices;
using Fruits.Pipeline.Output;
using Fruits.Pipeline.Storage;
using Parquet;
using Parquet.Schema;
using Parquet.Serialization;

namespace Fruits.Pipeline.Reuse;

/// <summary>
/// The features part of a batch whose rows were found in the feature store, all or some: it names the segment row of
/// each such image instead of holding its features, and holds the features of the images the batch featurized. So a
/// rerun over stored images writes a few kilobytes per batch rather than encoding every feature again, and a batch
/// with a few new images among stored ones encodes only theirs. Its footer carries the batch commit, the store's
/// namespace and the segments it needs; a reader resolves the rows there and checks each against the content hash it
/// recorded.
/// </summary>
public static class FeatureReferences
{
    /// <summary>The <c>row</c> of a row whose features the part holds itself.</summary>
    public const int HeldRow = -1;

    private static readonly ParquetSchema Schema = typeof(FeatureReferenceRow).GetParquetSchema(forWriting: true);

    /// <summary>A part's columns: those of <see cref="FeatureReferenceRow"/>.</summary>
    private static readonly PlainColumn[] Columns =
    [
        new("path", PlainColumnKind.String),
        new("label", PlainColumnKind.String),
        new("sha256", PlainColumnKind.String),
        new("segment", PlainColumnKind.String),
        new("row", PlainColumnKind.Int32),
        new("features", PlainColumnKind.OptionalFloatList),
    ];

    /// <summary>
    /// Writes the part for <paramref name="table"/>'s rows: those of <paramref name="hits"/> (by destination row, in row
    /// order) point at their entries in the namespace at <paramref name="featureStore"/>, the others hold their
    /// features from the table. <paramref name="commit"/> counts the batch, the hits as its reused rows; its errors
    /// part, if any, must already be written.
    /// </summary>
    public static async Task WriteAsync(
        IObjectStore output,
        string key,
        FeatureTable table,
        IReadOnlyList<FeatureStoreHit> hits,
        StorageLocation featureStore,
        BatchCommit commit,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(hits);
        ArgumentNullException.ThrowIfNull(featureStore);
        ArgumentNullException.ThrowIfNull(commit);
        var rows = table.Count;
        var hitOf = new int[rows];
        Array.Fill(hitOf, -1);
        var inOrder = true;
        for (var i = 0; i < hits.Count && inOrder; i++)
        {
            var row = hits[i].DestinationRow;
            inOrder = row < rows && (i == 0 ? row >= 0 : row > hits[i - 1].DestinationRow);
            if (inOrder)
            {
                hitOf[row] = i;
            }
        }

        if (rows == 0 || hits.Count == 0 || !inOrder || commit.Succeeded != rows || commit.Reused != hits.Count)
        {
            throw new ArgumentException($"a part of {rows} rows needs at least one stored entry, each for another row, in row order, and a commit that counts them as reused", nameof(hits));
        }

        var held = rows - hits.Count;
        var dimension = table.Dimension;
        var segments = hits.Select(h => h.Entry.SegmentId).Distinct(StringComparer.Ordinal).ToArray();
        var metadata = (commit with { FeatureStore = featureStore.Uri, Segments = segments }).ToMetadata();
        var present = hitOf.Select(h => h < 0).ToArray();
        var heldFeatures = new float[held * dimension];
        var value = 0;
        for (var row = 0; row < rows; row++)
        {
            if (present[row])
            {
                table.Row(row).CopyTo(heldFeatures.AsSpan(value, dimension));
                value += dimension;
            }
        }

        // A work part with its batch's commit, not synced, as FeatureParts.WriteAsync writes one (see there why).
        await ParquetParts.WritePlainAsync(output, key, Columns, (rows * 400) + (held * dimension * sizeof(float)) + 4096, metadata, synced: false, async writer =>
        {
            await writer.WriteStringsAsync(table.Paths, cancellationToken);
            await writer.WriteStringsAsync(table.Labels, cancellationToken);
            await writer.WriteStringsAsync([.. hitOf.Select(h => h < 0 ? "" : hits[h].Hash.Hex)], cancellationToken);
            await writer.WriteStringsAsync([.. hitOf.Select(h => h < 0 ? "" : hits[h].Entry.SegmentId)], cancellationToken);
            await writer.WriteInt32sAsync(hitOf.Select(h => h < 0 ? HeldRow : hits[h].Entry.Row).ToArray(), cancellationToken);
            await writer.WriteOptionalFloatListsAsync(heldFeatures, present, dimension, cancellationToken);
        }, cancellationToken);
    }

    /// <summary>
    /// The rows of an open reference part with their features, read from <paramref name="store"/> or the part. Throws a
    /// one-line <see cref="InvalidDataException"/> when a segment is gone or no longer holds a row's image.
    /// </summary>
    public static async Task<FeatureTable> ResolveAsync(ParquetReader reader, string key, FeatureStore store, int dimension, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(store);
        var fields = reader.Schema.GetDataFields();
        var paths = new List<string>();
        var labels = new List<string>();
        var hits = new List<FeatureStoreHit>();
        var heldRows = new List<int>();
        var heldFeatures = new List<float>();
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
            var held = new List<int>();
            for (var r = 0; r < rows; r++)
            {
                if (columns[0][r] is not { } path || columns[1][r] is not { } label)
                {
                    throw new InvalidDataException($"{key}: row {paths.Count} does not name an image");
                }

                if (columns[3][r] is "" && segmentRows[r] == HeldRow)
                {
                    held.Add(r);
                    heldRows.Add(paths.Count);
                }
                else if (ContentHash.Parse(columns[2][r] ?? "") is { } hash && columns[3][r] is { } segment && FeatureStoreLayout.IsSegmentId(segment))
                {
                    hits.Add(new FeatureStoreHit(hash, new FeatureStoreEntry(segment, segmentRows[r]), paths.Count));
                }
                else
                {
                    throw new InvalidDataException($"{key}: row {paths.Count} names neither its stored features nor holds them");
                }

                paths.Add(path);
                labels.Add(label);
            }

            if (held.Count > 0)
            {
                heldFeatures.AddRange(await ReadHeldAsync(group, fields, held, rows, dimension, key, cancellationToken));
            }
        }

        var features = new float[paths.Count * dimension];
        var missing = await store.ReadAsync(hits, features, dimension, cancellationToken: cancellationToken);
        if (missing.Count > 0)
        {
            var first = hits[missing[0]].Entry.SegmentId;
            throw new InvalidDataException(
                $"{key}: the features of {missing.Count} of its {hits.Count} stored images are no longer in the feature store (segment {first} is gone or changed); run the job again to featurize them");
        }

        var heldValues = CollectionsMarshal.AsSpan(heldFeatures);
        for (var i = 0; i < heldRows.Count; i++)
        {
            heldValues.Slice(i * dimension, dimension).CopyTo(features.AsSpan(heldRows[i] * dimension, dimension));
        }

        return new FeatureTable(paths, labels, features, dimension);
    }

    /// <summary>
    /// The features of a row group's <paramref name="held"/> rows, end to end; refuses a held row without exactly
    /// <paramref name="dimension"/> of them, or a row that points into the store and holds any.
    /// </summary>
    private static async Task<float[]> ReadHeldAsync(ParquetRowGroupReader group, DataField[] fields, List<int> held, int rows, int dimension, string key, CancellationToken cancellationToken)
    {
        var field = fields.FirstOrDefault(f => f.Path.ToString().StartsWith("features", StringComparison.Ordinal))
            ?? throw new InvalidDataException($"{key}: rows hold their features, but the part has no 'features' column");
        var levels = FeatureParts.ListValueCount(group, field);
        var values = new float[levels];
        var definition = new int[levels];
        var repetition = new int[levels];
        await group.ReadRawAsync<float>(field, values.AsMemory(), definition.AsMemory(), repetition.AsMemory(), cancellationToken);

        var counts = new int[rows];
        var row = -1;
        for (var i = 0; i < levels; i++)
        {
            if (repetition[i] == 0)
            {
                row++;
            }

            if (row < 0 || row >= rows)
            {
                throw new InvalidDataException($"{key}: its 'features' column does not hold {rows} rows");
            }

            if (definition[i] == field.MaxDefinitionLevel)
            {
                counts[row]++;
            }
        }

        var isHeld = new bool[rows];
        held.ForEach(r => isHeld[r] = true);
        if (row != rows - 1 || Enumerable.Range(0, rows).Any(r => counts[r] != (isHeld[r] ? dimension : 0)))
        {
            throw new InvalidDataException($"{key}: the features it holds are not {dimension} for each of its {held.Count} featurized rows");
        }

        return values.AsSpan(0, held.Count * dimension).ToArray();
    }

    private static DataField Field(DataField[] fields, int column, string key)
    {
        var name = Schema.GetDataFields()[column].Path.ToString();
        return fields.FirstOrDefault(f => f.Path.ToString() == name) ?? throw new InvalidDataException($"{key} has no '{name}' column");
    }
}
