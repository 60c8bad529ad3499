using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Snappier;

namespace Fruits.Pipeline.Output;

/// <summary>
/// Writes a final part (path, label, features, pca_features; the schema of <see cref="OutputRow"/>, as Parquet.Net
/// writes it) row group by row group straight to a stream, and its footer last. Each list column is cut into pages
/// of about a megabyte, each built and Snappy-compressed in pooled buffers and written at once, so what a part holds
/// while it is written is a page, not its row group several times over as in Parquet.Net's writer (which builds a
/// column chunk as one page in a growing stream, copies it out and compresses the copy). Values are PLAIN and levels
/// RLE, in version 1 data pages, which every Parquet reader reads; the string columns carry their minimum and maximum.
/// </summary>
public sealed class ProjectedPartWriter(Stream destination)
{
    /// <summary>Uncompressed bytes of values a list column's page holds at most (whole rows; at least one row).</summary>
    public const int PageBytes = 1 << 20;

    private const int Required = 0;
    private const int Repeated = 2;
    private const int Utf8 = 0;
    private const int ListConverted = 3;

    private static readonly byte[] Magic = "PAR1"u8.ToArray();

    private readonly ThriftCompactWriter _thrift = new();
    private readonly List<RowGroupEntry> _groups = [];
    private long _position;
    private long _rows;

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

        await StartAsync(cancellationToken);
        var groupStart = _position;
        var columns = new[]
        {
            await WriteStringsAsync("path", table.Paths, cancellationToken),
            await WriteStringsAsync("label", table.Labels, cancellationToken),
            await WriteListAsync("features", table.Features.AsMemory(0, table.Count * table.Dimension), table.Count, table.Dimension, cancellationToken),
            await WriteListAsync("pca_features", pca[..(table.Count * k)], table.Count, k, cancellationToken),
        };
        _groups.Add(new RowGroupEntry(columns, table.Count, groupStart, _position - groupStart));
        _rows += table.Count;
    }

    /// <summary>Writes the footer; the part is complete once this returns.</summary>
    public async Task CompleteAsync(CancellationToken cancellationToken = default)
    {
        await StartAsync(cancellationToken);
        var footer = Footer();
        await WriteAsync(footer, cancellationToken);
        var tail = new byte[8];
        BinaryPrimitives.WriteInt32LittleEndian(tail, footer.Length);
        Magic.CopyTo(tail, 4);
        await WriteAsync(tail, cancellationToken);
        await destination.FlushAsync(cancellationToken);
    }

    private async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_position == 0)
        {
            await WriteAsync(Magic, cancellationToken);
        }
    }

    /// <summary>A required UTF-8 string column as one page: no levels, each value its length then its bytes.</summary>
    private async Task<ColumnEntry> WriteStringsAsync(string name, IReadOnlyList<string> values, CancellationToken cancellationToken)
    {
        var size = 0;
        foreach (var value in values)
        {
            size += sizeof(int) + Encoding.UTF8.GetByteCount(value);
        }

        var page = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            var at = 0;
            (int At, int Length) min = default, max = default;
            foreach (var value in values)
            {
                var length = Encoding.UTF8.GetBytes(value, page.AsSpan(at + sizeof(int)));
                BinaryPrimitives.WriteInt32LittleEndian(page.AsSpan(at), length);
                var bytes = page.AsSpan(at + sizeof(int), length);
                if (at == 0 || bytes.SequenceCompareTo(page.AsSpan(min.At, min.Length)) < 0)
                {
                    min = (at + sizeof(int), length);
                }

                if (at == 0 || bytes.SequenceCompareTo(page.AsSpan(max.At, max.Length)) > 0)
                {
                    max = (at + sizeof(int), length);
                }

                at += sizeof(int) + length;
            }

            // Each group's smallest and largest value (by UTF-8 bytes, the order the footer declares), so a reader
            // that filters on a label or a path skips the row groups that cannot hold it.
            var column = new ColumnEntry(name, PhysicalType.ByteArray, _position)
            {
                Min = page.AsSpan(min.At, min.Length).ToArray(),
                Max = page.AsSpan(max.At, max.Length).ToArray(),
            };
            await WritePageAsync(column, page.AsMemory(0, size), values.Count, cancellationToken);
            return column;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(page);
        }
    }

    /// <summary>
    /// A required list of required floats, <paramref name="rows"/> lists of <paramref name="width"/>, in pages of whole
    /// rows: repetition levels (0 where a row starts, 1 elsewhere), definition levels (all 1), then the floats.
    /// </summary>
    private async Task<ColumnEntry> WriteListAsync(string name, ReadOnlyMemory<float> values, int rows, int width, CancellationToken cancellationToken)
    {
        var rowsPerPage = Math.Max(1, PageBytes / (width * sizeof(float)));
        var column = new ColumnEntry(name, PhysicalType.Float, _position);
        var pageRows = Math.Min(rowsPerPage, rows);
        var buffer = ArrayPool<byte>.Shared.Rent(PageSize(pageRows, width));
        try
        {
            for (var first = 0; first < rows; first += rowsPerPage)
            {
                var count = Math.Min(rowsPerPage, rows - first);
                var size = BuildListPage(buffer, values.Span.Slice(first * width, count * width), count, width);
                await WritePageAsync(column, buffer.AsMemory(0, size), count * width, cancellationToken);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return column;
    }

    /// <summary>Bytes a list page of <paramref name="rows"/> rows takes at most: levels of at most 12 bytes a row, and the floats.</summary>
    private static int PageSize(int rows, int width) => (2 * sizeof(int)) + (12 * rows) + 12 + (rows * width * sizeof(float));

    private static int BuildListPage(byte[] page, ReadOnlySpan<float> values, int rows, int width)
    {
        // Repetition levels, bit width 1, as RLE runs: each row a run of one 0, then a run of width - 1 ones.
        var at = sizeof(int);
        if (width == 1)
        {
            at += Run(page.AsSpan(at), rows, 0);
        }
        else
        {
            for (var r = 0; r < rows; r++)
            {
                at += Run(page.AsSpan(at), 1, 0);
                at += Run(page.AsSpan(at), width - 1, 1);
            }
        }

        BinaryPrimitives.WriteInt32LittleEndian(page, at - sizeof(int));

        // Definition levels, bit width 1: one run of ones, as every list and every value is present.
        var definitionStart = at;
        at += sizeof(int);
        at += Run(page.AsSpan(at), rows * width, 1);
        BinaryPrimitives.WriteInt32LittleEndian(page.AsSpan(definitionStart), at - definitionStart - sizeof(int));

        var bytes = MemoryMarshal.AsBytes(values);
        if (BitConverter.IsLittleEndian)
        {
            bytes.CopyTo(page.AsSpan(at));
        }
        else
        {
            for (var i = 0; i < values.Length; i++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(page.AsSpan(at + (i * sizeof(float))), values[i]);
            }
        }

        return at + bytes.Length;
    }

    /// <summary>An RLE run of a one-byte level: its length shifted left by one (the low bit 0 marks RLE), then the value.</summary>
    private static int Run(Span<byte> destination, int length, byte value)
    {
        var header = (uint)length << 1;
        var at = 0;
        while (header >= 0x80)
        {
            destination[at++] = (byte)(header | 0x80);
            header >>= 7;
        }

        destination[at++] = (byte)header;
        destination[at++] = value;
        return at;
    }

    private async Task WritePageAsync(ColumnEntry column, ReadOnlyMemory<byte> page, int values, CancellationToken cancellationToken)
    {
        var compressed = ArrayPool<byte>.Shared.Rent(Snappy.GetMaxCompressedLength(page.Length));
        try
        {
            var length = Snappy.Compress(page.Span, compressed);
            _thrift.Clear();
            _thrift.I32(1, 0); // DATA_PAGE
            _thrift.I32(2, page.Length);
            _thrift.I32(3, length);
            _thrift.BeginStruct(5);
            _thrift.I32(1, values);
            _thrift.I32(2, 0); // PLAIN
            _thrift.I32(3, 3); // RLE
            _thrift.I32(4, 3); // RLE
            _thrift.EndStruct();
            _thrift.EndMessage();
            var header = _thrift.Written;
            await WriteAsync(header, cancellationToken);
            await WriteAsync(compressed.AsMemory(0, length), cancellationToken);
            column.Values += values;
            column.Uncompressed += header.Length + page.Length;
            column.Compressed += header.Length + length;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(compressed);
        }
    }

    private async Task WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        await destination.WriteAsync(bytes, cancellationToken);
        _position += bytes.Length;
    }

    private byte[] Footer()
    {
        var thrift = new ThriftCompactWriter();
        thrift.I32(1, 1);
        thrift.BeginList(2, ThriftCompactReader.Struct, 9);
        SchemaElement(thrift, "root", type: null, repetition: null, children: 4, converted: null, logical: null);
        SchemaElement(thrift, "path", PhysicalType.ByteArray, Required, children: null, Utf8, logical: 1);
        SchemaElement(thrift, "label", PhysicalType.ByteArray, Required, children: null, Utf8, logical: 1);
        foreach (var list in new[] { "features", "pca_features" })
        {
            SchemaElement(thrift, list, type: null, Required, children: 1, ListConverted, logical: 3);
            SchemaElement(thrift, "list", type: null, Repeated, children: 1, converted: null, logical: null);
            SchemaElement(thrift, "element", PhysicalType.Float, Required, children: null, converted: null, logical: null);
        }

        thrift.I64(3, _rows);
        thrift.BeginList(4, ThriftCompactReader.Struct, _groups.Count);
        foreach (var group in _groups)
        {
            thrift.BeginStructValue();
            thrift.BeginList(1, ThriftCompactReader.Struct, group.Columns.Length);
            foreach (var column in group.Columns)
            {
                thrift.BeginStructValue();
                thrift.I64(2, column.Offset);
                thrift.BeginStruct(3);
                thrift.I32(1, (int)column.Type);
                thrift.BeginList(2, ThriftCompactReader.I32, 2);
                thrift.I32Value(0); // PLAIN
                thrift.I32Value(3); // RLE
                var path = column.Type == PhysicalType.Float ? new[] { column.Name, "list", "element" } : [column.Name];
                thrift.BeginList(3, ThriftCompactReader.Binary, path.Length);
                foreach (var step in path)
                {
                    thrift.StringValue(step);
                }

                thrift.I32(4, 1); // SNAPPY
                thrift.I64(5, column.Values);
                thrift.I64(6, column.Uncompressed);
                thrift.I64(7, column.Compressed);
                thrift.I64(9, column.Offset);
                if (column.Min is { } min && column.Max is { } max)
                {
                    thrift.BeginStruct(12);
                    thrift.Binary(1, max);
                    thrift.Binary(2, min);
                    thrift.I64(3, 0);
                    thrift.Binary(5, max);
                    thrift.Binary(6, min);
                    thrift.EndStruct();
                }

                thrift.EndStruct();
                thrift.EndStruct();
            }

            thrift.I64(2, group.Columns.Sum(c => c.Uncompressed));
            thrift.I64(3, group.Rows);
            thrift.I64(5, group.Offset);
            thrift.I64(6, group.Bytes);
            thrift.EndStruct();
        }

        thrift.String(6, "Fruits.Orleans");

        // Every leaf column in its type's own order: what tells a reader that the min and max above are comparable.
        thrift.BeginList(7, ThriftCompactReader.Struct, 4);
        for (var leaf = 0; leaf < 4; leaf++)
        {
            thrift.BeginStructValue();
            thrift.BeginStruct(1);
            thrift.EndStruct();
            thrift.EndStruct();
        }

        thrift.EndMessage();
        return thrift.Written.ToArray();
    }

    /// <param name="logical">The LogicalType union's member: 1 STRING, 3 LIST, or none.</param>
    private static void SchemaElement(ThriftCompactWriter thrift, string name, PhysicalType? type, int? repetition, int? children, int? converted, short? logical)
    {
        thrift.BeginStructValue();
        if (type is { } physical)
        {
            thrift.I32(1, (int)physical);
        }

        if (repetition is { } repeated)
        {
            thrift.I32(3, repeated);
        }

        thrift.String(4, name);
        if (children is { } count)
        {
            thrift.I32(5, count);
        }

        if (converted is { } convertedType)
        {
            thrift.I32(6, convertedType);
        }

        if (logical is { } member)
        {
            thrift.BeginStruct(10);
            thrift.BeginStruct(member);
            thrift.EndStruct();
            thrift.EndStruct();
        }

        thrift.EndStruct();
    }

    private enum PhysicalType
    {
        Float = 4,
        ByteArray = 6,
    }

    private sealed class ColumnEntry(string name, PhysicalType type, long offset)
    {
        public string Name { get; } = name;

        public PhysicalType Type { get; } = type;

        public long Offset { get; } = offset;

        public long Values { get; set; }

        public long Uncompressed { get; set; }

        public long Compressed { get; set; }

        /// <summary>The column's smallest value, for the columns that carry statistics.</summary>
        public byte[]? Min { get; init; }

        public byte[]? Max { get; init; }
    }

    private sealed record RowGroupEntry(ColumnEntry[] Columns, long Rows, long Offset, long Bytes);
}
