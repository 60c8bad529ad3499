using System.Buffers;
using Fruits.Pipeline.Storage;
using Parquet;
using Parquet.Schema;
using Parquet.Serialization;

namespace Fruits.Pipeline.Output;

/// <summary>
/// Reads and writes features parts and final parts column by column. The schemas are exactly those of
/// <see cref="FeatureRow"/> and <see cref="OutputRow"/>, but the list columns move as one flat float block
/// with its levels instead of a float[] per row: the row-object serializer spent about 30 ms per
/// 64-row part, which made projection the second-largest phase of a job.
/// </summary>
public static class FeatureParts
{
    private static readonly ParquetSchema FeatureSchema = typeof(FeatureRow).GetParquetSchema(forWriting: true);
    private static readonly ParquetSchema OutputSchema = typeof(OutputRow).GetParquetSchema(forWriting: true);
    private static readonly ParquetOptions Options = new() { CompressionMethod = CompressionMethod.Snappy };

    public static Task WriteAsync(IObjectStore store, string key, FeatureTable table, CancellationToken cancellationToken = default) =>
        WriteAsync(store, key, FeatureSchema, table, null, 0, null, cancellationToken);

    /// <summary>
    /// A features part that is also its batch's commit record: <paramref name="commit"/> goes into the footer.
    /// Write the batch's errors part first, so a readable commit means both parts are in place.
    /// </summary>
    public static Task WriteAsync(IObjectStore store, string key, FeatureTable table, BatchCommit commit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(commit);
        if (commit.Succeeded != table.Count || commit.Succeeded + commit.Failed != commit.Listed)
        {
            throw new ArgumentException($"A commit of {commit.Listed} listed = {commit.Succeeded} succeeded + {commit.Failed} failed does not fit a part of {table.Count} rows.", nameof(commit));
        }

        return WriteAsync(store, key, FeatureSchema, table, null, 0, commit.ToMetadata(), cancellationToken);
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

    /// <summary>A final part: the table's columns plus <paramref name="pca"/> (Count x <paramref name="k"/>, row-major).</summary>
    public static Task WriteProjectedAsync(IObjectStore store, string key, FeatureTable table, float[] pca, int k, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pca);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        if (pca.Length < (long)table.Count * k)
        {
            throw new ArgumentException($"{table.Count} rows of {k} components need {table.Count * k} floats, got {pca.Length}.", nameof(pca));
        }

        return WriteAsync(store, key, OutputSchema, table, pca, k, null, cancellationToken);
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
        var fields = reader.Schema.GetDataFields();
        var pathField = Field(fields, "path", key);
        var labelField = Field(fields, "label", key);
        var featureField = Field(fields, "features", key);

        var paths = new List<string>();
        var labels = new List<string>();
        var features = new List<float[]>();
        var dimension = 0;
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            var rows = checked((int)group.RowCount);
            var groupPaths = new string?[rows];
            var groupLabels = new string?[rows];
            await group.ReadAsync(pathField, groupPaths.AsMemory(), null, cancellationToken);
            await group.ReadAsync(labelField, groupLabels.AsMemory(), null, cancellationToken);
            paths.AddRange(groupPaths.Select(p => p ?? throw new InvalidDataException($"{key}: a row has no path")));
            labels.AddRange(groupLabels.Select(l => l ?? throw new InvalidDataException($"{key}: a row has no label")));

            var values = checked((int)(group.GetMetadata(featureField)?.MetaData?.NumValues ?? 0));
            var block = new float[values];
            var levels = ArrayPool<int>.Shared.Rent(values * 2);
            try
            {
                await group.ReadRawAsync(featureField, block.AsMemory(), levels.AsMemory(0, values), levels.AsMemory(values, values), cancellationToken);
                dimension = CheckRectangular(levels.AsSpan(values, values), rows, values, dimension, key);
            }
            finally
            {
                ArrayPool<int>.Shared.Return(levels);
            }

            features.Add(block);
        }

        var all = features.Count == 1 ? features[0] : features.SelectMany(f => f).ToArray();
        return (new FeatureTable(paths, labels, all, Math.Max(dimension, 1)), BatchCommit.FromMetadata(reader.CustomMetadata, paths.Count));
    }

    /// <summary>
    /// A final part made of several batches' rows (each table with its projection, <paramref name="k"/> wide), in
    /// order, cut into row groups of about <paramref name="rowGroupRows"/> rows (whole tables; at least one a group).
    /// </summary>
    public static async Task WriteProjectedAsync(IObjectStore store, string key, IReadOnlyList<(FeatureTable Table, float[] Pca)> blocks, int k, int rowGroupRows, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(blocks);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rowGroupRows);
        var fields = OutputSchema.GetDataFields();
        using var buffer = new MemoryStream();
        await using (var writer = await ParquetWriter.CreateAsync(OutputSchema, buffer, Options, cancellationToken: cancellationToken))
        {
            var next = 0;
            while (next < blocks.Count)
            {
                var take = 1;
                var rows = blocks[next].Table.Count;
                while (next + take < blocks.Count && rows + blocks[next + take].Table.Count <= rowGroupRows)
                {
                    rows += blocks[next + take++].Table.Count;
                }

                var (table, pca) = Concatenate(blocks.Skip(next).Take(take).ToList(), k);
                if (pca.Length < (long)table.Count * k)
                {
                    throw new ArgumentException($"{table.Count} rows of {k} components need {table.Count * k} floats, got {pca.Length}.", nameof(blocks));
                }

                await WriteGroupAsync(writer, fields, table, pca, k, cancellationToken);
                next += take;
            }
        }

        await store.WriteAsync(key, buffer.GetBuffer().AsMemory(0, (int)buffer.Length), cancellationToken);
    }

    private static async Task WriteAsync(IObjectStore store, string key, ParquetSchema schema, FeatureTable table, float[]? pca, int k, Dictionary<string, string>? metadata, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(table);
        var fields = schema.GetDataFields();
        using var buffer = new MemoryStream();
        await using (var writer = await ParquetWriter.CreateAsync(schema, buffer, Options, cancellationToken: cancellationToken))
        {
            if (metadata is not null)
            {
                writer.CustomMetadata = metadata;
            }

            await WriteGroupAsync(writer, fields, table, pca, k, cancellationToken);
        }

        await store.WriteAsync(key, buffer.GetBuffer().AsMemory(0, (int)buffer.Length), cancellationToken);
    }

    private static async Task WriteGroupAsync(ParquetWriter writer, DataField[] fields, FeatureTable table, float[]? pca, int k, CancellationToken cancellationToken)
    {
        using var group = writer.CreateRowGroup();
        await group.WriteAsync(fields[0], table.Paths as IReadOnlyCollection<string> ?? [.. table.Paths], null);
        await group.WriteAsync(fields[1], table.Labels as IReadOnlyCollection<string> ?? [.. table.Labels], null);
        await WriteListAsync(group, fields[2], table.Features, table.Count, table.Dimension, cancellationToken);
        if (pca is not null)
        {
            await WriteListAsync(group, fields[3], pca, table.Count, k, cancellationToken);
        }
    }

    private static (FeatureTable Table, float[] Pca) Concatenate(IReadOnlyList<(FeatureTable Table, float[] Pca)> blocks, int k)
    {
        if (blocks.Count == 1)
        {
            return blocks[0];
        }

        var dimension = blocks[0].Table.Dimension;
        var rows = blocks.Sum(b => b.Table.Count);
        var features = new float[rows * dimension];
        var pca = new float[rows * k];
        var at = 0;
        foreach (var (table, projected) in blocks)
        {
            if (table.Dimension != dimension)
            {
                throw new ArgumentException($"tables of {dimension} and {table.Dimension} features cannot share a part", nameof(blocks));
            }

            table.FeatureBlock.CopyTo(features.AsSpan(at * dimension));
            projected.AsSpan(0, table.Count * k).CopyTo(pca.AsSpan(at * k));
            at += table.Count;
        }

        return (new FeatureTable(blocks.SelectMany(b => b.Table.Paths).ToList(), blocks.SelectMany(b => b.Table.Labels).ToList(), features, dimension), pca);
    }

    /// <summary>A required list of required floats: every value is defined, and each row starts a new list (repetition 0).</summary>
    internal static async Task WriteListAsync(ParquetRowGroupWriter group, DataField field, float[] block, int rows, int width, CancellationToken cancellationToken)
    {
        var values = rows * width;
        var levels = ArrayPool<int>.Shared.Rent(values * 2);
        try
        {
            var definition = levels.AsMemory(0, values);
            var repetition = levels.AsMemory(values, values);
            definition.Span.Fill(field.MaxDefinitionLevel);
            repetition.Span.Fill(field.MaxRepetitionLevel);
            for (var r = 0; r < rows; r++)
            {
                repetition.Span[r * width] = 0;
            }

            await group.WriteAllPartsAsync<float>(field, block.AsMemory(0, values), definition, repetition, cancellationToken);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(levels);
        }
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
