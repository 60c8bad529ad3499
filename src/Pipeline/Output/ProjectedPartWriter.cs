namespace Fruits.Pipeline.Output;

/// <summary>
/// Writes a final part (path, label, features, pca_features; the schema of <see cref="OutputRow"/>, as Parquet.Net
/// writes it) row group by row group straight to a stream, and its footer last, through
/// <see cref="PlainParquetWriter"/>: what a part holds while it is written is a page, not its row group several times
/// over. The path and label columns carry their minimum and maximum per row group.
/// </summary>
public sealed class ProjectedPartWriter(Stream destination)
{
    private static readonly PlainColumn[] Columns =
    [
        new("path", PlainColumnKind.String),
        new("label", PlainColumnKind.String),
        new("features", PlainColumnKind.FloatList),
        new("pca_features", PlainColumnKind.FloatList),
    ];

    private readonly PlainParquetWriter _writer = new(destination, Columns);

    /// <summary>Writes one row group: <paramref name="table"/>'s rows with their <paramref name="k"/> components each.</summary>
    public async Task WriteRowGroupAsync(FeatureTable table, ReadOnlyMemory<float> pca, int k, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        if (pca.Length < table.Count * k)
        {
            throw new ArgumentException($"{table.Count} rows of {k} components need {table.Count * k} floats, got {pca.Length}.", nameof(pca));
        }

        if (table.Count == 0)
        {
            return;
        }

        await _writer.WriteStringsAsync(table.Paths, cancellationToken);
        await _writer.WriteStringsAsync(table.Labels, cancellationToken);
        await _writer.WriteFloatListsAsync(table.Features.AsMemory(0, table.Count * table.Dimension), table.Count, table.Dimension, cancellationToken);
        await _writer.WriteFloatListsAsync(pca[..(table.Count * k)], table.Count, k, cancellationToken);
    }

    /// <summary>Writes the footer; the part is complete once this returns.</summary>
    public Task CompleteAsync(CancellationToken cancellationToken = default) => _writer.CompleteAsync(cancellationToken);
}
