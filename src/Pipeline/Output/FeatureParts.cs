using System.Buffers;
using System.Runtime.CompilerServices;
using Fruits.Pipeline.Storage;
using Parquet;
using Parquet.Schema;
using Parquet.Serialization;

namespace Fruits.Pipeline.Output;

/// <summary>
/// Reads and writes features parts and final parts column by column. The schemas are exactly those of
/// <see cref="FeatureRow"/> and <see cref="OutputRow"/>, but the list columns move as one flat float block
/// instead of a float[] per row: the row-object serializer spent about 30 ms per 64-row part, which made
/// projection the second-largest phase of a job. Work parts are written by <see cref="PlainParquetWriter"/>, final
/// parts by <see cref="ProjectedPartWriter"/> over it, and a features column is read by
/// <see cref="FloatListColumnChunk"/> where its layout allows.
/// </summary>
public static class FeatureParts
{
    /// <summary>A work part's columns: those of <see cref="FeatureRow"/>.</summary>
    private static readonly PlainColumn[] FeatureColumns = [new("path", PlainColumnKind.String), new("label", PlainColumnKind.String), new("features", PlainColumnKind.FloatList)];

    public static Task WriteAsync(IObjectStore store, string key, FeatureTable table, CancellationToken cancellationToken = default) =>
        WriteFeaturesAsync(store, key, table, null, synced: true, cancellationToken);

    /// <summary>
    /// A features part that is also its batch's commit record: <paramref name="commit"/> goes into the footer.
    /// Write the batch's errors part first, so a readable commit means both parts are in place.
    /// </summary>
    /// <remarks>
    /// Not synced: nothing trusts a work part without reading it back. A resume takes a batch only if this footer
    /// reads and its errors part agrees with it (<see cref="TryReadVerifiedCommitAsync"/>), so a part a machine
    /// crash lost, emptied or cut, or whose errors part it lost, makes that batch featurized again; the job's
    /// statistics, kept in memory, are gone with such a crash anyway and are rebuilt from the parts that read.
    /// </remarks>
    public static Task WriteAsync(IObjectStore store, string key, FeatureTable table, BatchCommit commit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(commit);
        if (commit.Succeeded != table.Count || commit.Succeeded + commit.Failed != commit.Listed)
        {
            throw new ArgumentException($"A commit of {commit.Listed} listed = {commit.Succeeded} succeeded + {commit.Failed} failed does not fit a part of {table.Count} rows.", nameof(commit));
        }

        return WriteFeaturesAsync(store, key, table, commit.ToMetadata(), synced: false, cancellationToken);
    }

    /// <summary>
    /// The batch commit in a features part's footer, reading only the footer; null when the part is missing,
    /// empty, truncated, its footer does not read, or it holds no commit that adds up to its rows.
    /// </summary>
    public static async Task<BatchCommit?> TryReadCommitAsync(IObjectStore store, string key, CancellationToken cancellationToken = default)
    {
        var footer = await ParquetFooter.TryReadAsync(store, key, cancellationToken);
        return footer is null ? null : BatchCommit.FromMetadata(footer.Metadata, footer.Rows);
    }

    /// <summary>
    /// A batch's commit, trusted only if its errors part agrees: as many rows as the commit's failures, or no
    /// errors part when nothing failed. A resume can skip a batch for which this is not null; otherwise the batch
    /// (say, one whose later attempt wrote an errors part and died before its features part) is featurized again.
    /// Costs a footer read of each part, or one existence check.
    /// </summary>
    public static async Task<BatchCommit?> TryReadVerifiedCommitAsync(IObjectStore store, int batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (await TryReadCommitAsync(store, OutputLayout.FeaturesPart(batch), cancellationToken) is not { } commit)
        {
            return null;
        }

        var errorsPart = OutputLayout.ErrorsPart(batch);
        var agrees = commit.Failed == 0
            ? !await store.ExistsAsync(errorsPart, cancellationToken)
            : await ParquetParts.TryReadRowCountAsync(store, errorsPart, cancellationToken) == commit.Failed;
        return agrees ? commit : null;
    }

    /// <summary>Reads a features part (or the features of a final part) into one table.</summary>
    public static async Task<FeatureTable> ReadAsync(IObjectStore store, string key, CancellationToken cancellationToken = default) =>
        (await ReadWithCommitAsync(store, key, cancellationToken)).Table;

    /// <summary>A features part's rows and its batch commit (null for a part written without one), in one read.</summary>
    public static async Task<(FeatureTable Table, BatchCommit? Commit)> ReadWithCommitAsync(IObjectStore store, string key, CancellationToken cancellationToken = default)
    {
        using var buffer = await ParquetParts.ReadToMemoryAsync(store, key, cancellationToken);
        await using var reader = await ParquetReader.CreateAsync(buffer, cancellationToken: cancellationToken);
        var table = await ReadTableAsync(buffer, reader, key, cancellationToken);
        return (table, BatchCommit.FromMetadata(reader.CustomMetadata, table.Count));
    }

    /// <summary>Every row of an open features part (or final part), as one table; <paramref name="file"/> is the stream it was opened on.</summary>
    internal static Task<FeatureTable> ReadTableAsync(Stream file, ParquetReader reader, string key, CancellationToken cancellationToken) =>
        ReadTableAsync(file, reader, new Columns(reader, key), key, cancellationToken);

    /// <summary>
    /// A final part's paths, labels and projections, as a table k wide, without its features: what an index of the
    /// output holds. Only those three columns are read, a few megabytes of a part of a hundred.
    /// </summary>
    public static async Task<FeatureTable> ReadProjectionsAsync(IObjectStore store, string key, CancellationToken cancellationToken = default)
    {
        await using var file = await ParquetParts.OpenSeekableAsync(store, key, cancellationToken);
        await using var reader = await ParquetReader.CreateAsync(file, cancellationToken: cancellationToken);
        return await ReadTableAsync(file, reader, new Columns(reader, key, list: "pca_features"), key, cancellationToken);
    }

    private static async Task<FeatureTable> ReadTableAsync(Stream file, ParquetReader reader, Columns columns, string key, CancellationToken cancellationToken)
    {
        var paths = new List<string>();
        var labels = new List<string>();
        var features = new List<float[]>();
        var dimension = 0;
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            var group = await ReadGroupAsync(file, reader, g, columns, dimension, key, pool: null, cancellationToken);
            paths.AddRange(group.Paths);
            labels.AddRange(group.Labels);
            features.Add(group.Features);
            dimension = group.Dimension;
        }

        var all = features.Count == 1 ? features[0] : Concatenate(features);
        return new FeatureTable(paths, labels, all, Math.Max(dimension, 1));
    }

    /// <summary>
    /// A part's rows one row group at a time, each its own table: a reader of a final part of a hundred megabytes
    /// can work on one group while the next is decoded. A local part is read in place; one from a store that cannot seek
    /// is held in memory while it is read.
    /// </summary>
    /// <param name="pool">
    /// When given, each table's features are in an array rented from it (possibly longer than the table), which the
    /// caller returns once done with the table: a refit reads a row group of megabytes after another, and fresh arrays
    /// for each are memory faulted in anew every time.
    /// </param>
    public static async IAsyncEnumerable<FeatureTable> ReadRowGroupsAsync(IObjectStore store, string key, ArrayPool<float>? pool = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var buffer = await ParquetParts.OpenSeekableAsync(store, key, cancellationToken);
        await using var reader = await ParquetReader.CreateAsync(buffer, cancellationToken: cancellationToken);
        var columns = new Columns(reader, key);
        var dimension = 0;
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            var group = await ReadGroupAsync(buffer, reader, g, columns, dimension, key, pool, cancellationToken);
            dimension = group.Dimension;
            if (group.Paths.Length > 0)
            {
                yield return new FeatureTable(group.Paths, group.Labels, group.Features, group.Dimension);
            }
            else
            {
                pool?.Return(group.Features);
            }
        }
    }

    private static async Task<(string[] Paths, string[] Labels, float[] Features, int Dimension)> ReadGroupAsync(Stream file, ParquetReader reader, int index, Columns columns, int dimension, string key, ArrayPool<float>? pool, CancellationToken cancellationToken)
    {
        using var group = reader.OpenRowGroupReader(index);
        var rows = checked((int)group.RowCount);
        var paths = new string?[rows];
        var labels = new string?[rows];
        await group.ReadAsync(columns.Path, paths.AsMemory(), null, cancellationToken);
        await group.ReadAsync(columns.Label, labels.AsMemory(), null, cancellationToken);

        var values = ListValueCount(group, columns.Features);
        var block = pool?.Rent(values) ?? new float[values];
        dimension = await ReadListAsync(file, group, columns.Features, rows, block.AsMemory(0, values), dimension, key, cancellationToken);

        return (
            Array.ConvertAll(paths, p => p ?? throw new InvalidDataException($"{key}: a row has no path")),
            Array.ConvertAll(labels, l => l ?? throw new InvalidDataException($"{key}: a row has no label")),
            block,
            dimension);
    }

    /// <summary>How many values a row group's list column holds (each row's list, end to end).</summary>
    internal static int ListValueCount(ParquetRowGroupReader group, DataField field) =>
        checked((int)(group.GetMetadata(field)?.MetaData?.NumValues ?? 0));

    /// <summary>
    /// A row group's list-of-floats column into <paramref name="destination"/> (exactly its values), straight from its
    /// pages where <see cref="FloatListColumnChunk"/> knows their layout, else through Parquet.Net. Returns the length of
    /// every row's list; refuses lists of unequal length, or of another length than <paramref name="dimension"/> (when
    /// not 0).
    /// </summary>
    internal static async Task<int> ReadListAsync(Stream file, ParquetRowGroupReader group, DataField field, int rows, Memory<float> destination, int dimension, string key, CancellationToken cancellationToken)
    {
        var values = destination.Length;
        if (await FloatListColumnChunk.TryReadAsync(file, group.GetMetadata(field), field, rows, destination, cancellationToken) is { } width)
        {
            return dimension == 0 || width == dimension ? width
                : throw new InvalidDataException($"{key}: {values} feature values do not make {rows} rows of equal length");
        }

        var levels = ArrayPool<int>.Shared.Rent(values * 2);
        try
        {
            await group.ReadRawAsync(field, destination, levels.AsMemory(0, values), levels.AsMemory(values, values), cancellationToken);
            return CheckRectangular(levels.AsSpan(values, values), rows, values, dimension, key);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(levels);
        }
    }

    /// <summary>The columns a reader needs, looked up once; a part without one of them is refused before any row is read.</summary>
    private sealed class Columns
    {
        public Columns(ParquetReader reader, string key, string list = "features")
        {
            var fields = reader.Schema.GetDataFields();
            Path = Field(fields, "path", key);
            Label = Field(fields, "label", key);
            Features = Field(fields, list, key);
        }

        public DataField Path { get; }

        public DataField Label { get; }

        /// <summary>The list column read with the paths and labels: the features, or a final part's projections.</summary>
        public DataField Features { get; }
    }

    /// <summary>
    /// A final part made of several batches' rows (each table with its projection, <paramref name="k"/> wide), in
    /// order, cut into row groups of about <paramref name="rowGroupRows"/> rows (whole tables; at least one a group).
    /// </summary>
    public static Task WriteProjectedAsync(IObjectStore store, string key, IReadOnlyList<(FeatureTable Table, float[] Pca)> blocks, int k, int rowGroupRows, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        return WriteProjectedAsync(store, key, blocks.ToAsyncEnumerable(), k, rowGroupRows, cancellationToken);
    }

    /// <summary>
    /// As the overload above, but the blocks arrive one after another and the part is streamed to the store: only
    /// the row group being cut is held, so a part of a hundred megabytes never sits in memory whole. The row groups
    /// are the same as when every block is given at once: a group takes a block, then each next block while the
    /// group stays within <paramref name="rowGroupRows"/>.
    /// </summary>
    public static async Task WriteProjectedAsync(IObjectStore store, string key, IAsyncEnumerable<(FeatureTable Table, float[] Pca)> blocks, int k, int rowGroupRows, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(blocks);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rowGroupRows);
        await store.WriteStreamingAsync(key, async (stream, token) =>
        {
            var writer = new ProjectedPartWriter(stream);
            var group = new RowGroupBuffer(k, rowGroupRows);
            await foreach (var block in blocks.WithCancellation(token))
            {
                if (group.Rows > 0 && group.Rows + block.Table.Count > rowGroupRows)
                {
                    await writer.WriteRowGroupAsync(group.ToTable(), group.Pca, k, token);
                    group.Clear();
                }

                if (group.Rows == 0 && block.Table.Count >= rowGroupRows)
                {
                    // A block that fills a group alone (a refit's, one row group of its source) is written as it is,
                    // not copied first: the group it makes is the same, as no next block could join it.
                    await writer.WriteRowGroupAsync(block.Table, block.Pca, k, token);
                    continue;
                }

                group.Add(block.Table, block.Pca);
            }

            if (group.Rows > 0)
            {
                await writer.WriteRowGroupAsync(group.ToTable(), group.Pca, k, token);
            }

            await writer.CompleteAsync(token);
        }, cancellationToken);
    }

    private static Task WriteFeaturesAsync(IObjectStore store, string key, FeatureTable table, Dictionary<string, string>? metadata, bool synced, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(table);
        return ParquetParts.WritePlainAsync(store, key, FeatureColumns, (table.Count * table.Dimension * sizeof(float)) + (table.Count * 200) + 4096, metadata, synced, async writer =>
        {
            // A batch whose every image failed: its part is a footer with its commit and no row group.
            if (table.Count == 0)
            {
                return;
            }

            await writer.WriteStringsAsync(table.Paths, cancellationToken);
            await writer.WriteStringsAsync(table.Labels, cancellationToken);
            await writer.WriteFloatListsAsync(table.Features.AsMemory(0, table.Count * table.Dimension), table.Count, table.Dimension, cancellationToken);
        }, cancellationToken);
    }

    /// <summary>
    /// The rows of the row group being cut, copied in as their blocks arrive into arrays kept from one group to the
    /// next: a group's arrays are allocated once per part rather than once per group.
    /// </summary>
    private sealed class RowGroupBuffer(int k, int rowGroupRows)
    {
        private readonly List<string> _paths = [];
        private readonly List<string> _labels = [];
        private float[] _features = [];
        private int _dimension;

        public float[] Pca { get; private set; } = [];

        public int Rows => _paths.Count;

        public void Add(FeatureTable table, float[] pca)
        {
            if (pca.Length < (long)table.Count * k)
            {
                throw new ArgumentException($"{table.Count} rows of {k} components need {table.Count * k} floats, got {pca.Length}.", nameof(pca));
            }

            if (Rows == 0)
            {
                _dimension = table.Dimension;
            }
            else if (table.Dimension != _dimension)
            {
                throw new ArgumentException($"tables of {_dimension} and {table.Dimension} features cannot share a part", nameof(table));
            }

            var rows = Rows + table.Count;
            if (_features.Length < rows * _dimension || Pca.Length < rows * k)
            {
                // A whole group at once, uninitialized: memory is faulted in page by page as rows are copied in, so a
                // small part pays only for what it writes, while growing by doubling would fault in and copy about
                // twice a full group's bytes per part.
                var capacity = Math.Max(rows, rowGroupRows);
                _features = Grown(_features, Rows * _dimension, capacity * _dimension);
                Pca = Grown(Pca, Rows * k, capacity * k);
            }

            table.FeatureBlock.CopyTo(_features.AsSpan(Rows * _dimension));
            pca.AsSpan(0, table.Count * k).CopyTo(Pca.AsSpan(Rows * k));
            _paths.AddRange(table.Paths);
            _labels.AddRange(table.Labels);
        }

        public FeatureTable ToTable() => new(_paths, _labels, _features, _dimension);

        private static float[] Grown(float[] current, int used, int length)
        {
            if (current.Length >= length)
            {
                return current;
            }

            var grown = GC.AllocateUninitializedArray<float>(length);
            current.AsSpan(0, used).CopyTo(grown);
            return grown;
        }

        public void Clear()
        {
            _paths.Clear();
            _labels.Clear();
        }
    }

    private static float[] Concatenate(List<float[]> blocks)
    {
        var all = new float[blocks.Sum(b => (long)b.Length)];
        var at = 0;
        foreach (var block in blocks)
        {
            block.CopyTo(all, at);
            at += block.Length;
        }

        return all;
    }

    internal static int CheckRectangular(ReadOnlySpan<int> repetition, int rows, int values, int dimension, string key)
    {
        var width = rows == 0 ? dimension : values / rows;
        if (rows > 0 && (width == 0 || width * rows != values || (dimension != 0 && width != dimension)))
        {
            throw new InvalidDataException($"{key}: {values} feature values do not make {rows} rows of equal length");
        }

        for (var r = 0; r < rows; r++)
        {
            if (repetition[r * width] != 0)
            {
                throw new InvalidDataException($"{key}: row {r} does not hold {width} features");
            }
        }

        return width;
    }

    private static DataField Field(DataField[] fields, string column, string key) =>
        fields.FirstOrDefault(f => f.Path.ToString() == column || f.Path.ToString().StartsWith(column + "/", StringComparison.Ordinal))
        ?? throw new InvalidDataException($"{key} has no '{column}' column");
}
