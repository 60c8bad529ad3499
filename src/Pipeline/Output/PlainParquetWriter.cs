using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Snappier;

namespace Fruits.Pipeline.Output;

/// <summary>
/// Writes a Parquet file of the few column kinds this project stores (<see cref="PlainColumnKind"/>) straight to a
/// stream: row group by row group, each column as version 1 data pages built in pooled buffers (Snappy-compressed
/// unless the column says otherwise), PLAIN values and RLE levels (which every Parquet reader reads), and the footer
/// last. A list column is cut into pages of about a megabyte, so what a file holds while it is written is a page, not
/// its row group several times over as in Parquet.Net's writer, which also expands both level streams into an int per
/// value: for the files written on a featurizer's cores (feature-store segments and their index files, final parts)
/// that was most of their cost.
/// </summary>
/// <remarks>
/// Columns are written in the order <paramref name="columns"/> declares them, each row group all of them, with the
/// same number of rows, at least one; required strings carry their minimum and maximum, so a reader that filters on
/// them skips the row groups that cannot hold a value.
/// </remarks>
public sealed class PlainParquetWriter(Stream destination, IReadOnlyList<PlainColumn> columns, IReadOnlyDictionary<string, string>? metadata = null)
{
    /// <summary>Uncompressed bytes of values a list column's page holds at most (whole rows; at least one row).</summary>
    public const int PageBytes = 1 << 20;

    private const int Required = 0;
    private const int Optional = 1;
    private const int Repeated = 2;
    private const int Utf8 = 0;
    private const int ListConverted = 3;

    private static readonly byte[] Magic = "PAR1"u8.ToArray();

    private readonly ThriftCompactWriter _thrift = new();
    private readonly List<RowGroupEntry> _groups = [];
    private readonly List<ColumnEntry> _current = [];
    private long _position;
    private long _groupStart;
    private int _groupRows;
    private long _rows;

    /// <summary>Writes the next column of the current row group: required strings.</summary>
    public Task WriteStringsAsync(IReadOnlyList<string> values, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var column = Next(PlainColumnKind.String, values.Count);
        return WriteStringPageAsync(column, values, present: null, cancellationToken);
    }

    /// <summary>Writes the next column of the current row group: strings, some of them null.</summary>
    public Task WriteOptionalStringsAsync(IReadOnlyList<string?> values, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var column = Next(PlainColumnKind.OptionalString, values.Count);
        var present = new bool[values.Count];
        var strings = new List<string>(values.Count);
        for (var i = 0; i < values.Count; i++)
        {
            if (values[i] is { } value)
            {
                present[i] = true;
                strings.Add(value);
            }
        }

        return WriteStringPageAsync(column, strings, present, cancellationToken);
    }

    /// <summary>Writes the next column of the current row group: required 32-bit integers.</summary>
    public async Task WriteInt32sAsync(ReadOnlyMemory<int> values, CancellationToken cancellationToken = default)
    {
        var column = Next(PlainColumnKind.Int32, values.Length);
        var size = values.Length * sizeof(int);
        var page = ArrayPool<byte>.Shared.Rent(Math.Max(1, size));
        try
        {
            for (var i = 0; i < values.Length; i++)
            {
                BinaryPrimitives.WriteInt32LittleEndian(page.AsSpan(i * sizeof(int)), values.Span[i]);
            }

            await WritePageAsync(column, page.AsMemory(0, size), values.Length, cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(page);
        }

        End(column, values.Length);
    }

    /// <summary>
    /// Writes the next column of the current row group: <paramref name="rows"/> lists of <paramref name="width"/> floats,
    /// in pages of whole rows: repetition levels (0 where a row starts, 1 elsewhere), definition levels (all present),
    /// then the floats.
    /// </summary>
    public async Task WriteFloatListsAsync(ReadOnlyMemory<float> values, int rows, int width, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        if (values.Length < (long)rows * width)
        {
            throw new ArgumentException($"{rows} rows of {width} floats need {rows * width} values, got {values.Length}.", nameof(values));
        }

        var column = Next(PlainColumnKind.FloatList, rows);
        var rowsPerPage = Math.Max(1, PageBytes / (width * sizeof(float)));
        var pageRows = Math.Min(rowsPerPage, rows);
        var buffer = ArrayPool<byte>.Shared.Rent(ListPageSize(pageRows, width));
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

        End(column, rows);
    }

    /// <summary>
    /// Writes the next column of the current row group: a list of <paramref name="width"/> floats or null for each row
    /// (<paramref name="present"/>), the present rows' floats end to end in <paramref name="values"/>, as one page.
    /// </summary>
    public async Task WriteOptionalFloatListsAsync(ReadOnlyMemory<float> values, IReadOnlyList<bool> present, int width, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(present);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        var held = present.Count(p => p);
        if (values.Length != (long)held * width)
        {
            throw new ArgumentException($"{held} lists of {width} floats need {held * width} values, got {values.Length}.", nameof(values));
        }

        var column = Next(PlainColumnKind.OptionalFloatList, present.Count);
        var levels = (present.Count - held) + (held * width);
        var page = ArrayPool<byte>.Shared.Rent((2 * sizeof(int)) + (2 * 12 * present.Count) + 24 + (held * width * sizeof(float)));
        try
        {
            // Repetition levels (bit width 1): a row starts at 0, a list's later values are 1. Definition levels (bit
            // width 2, a byte a run): 0 for a null list, 2 for each value of a present one.
            var repetition = new LevelRuns(page, sizeof(int));
            foreach (var row in present)
            {
                repetition.Add(0, 1);
                if (row)
                {
                    repetition.Add(1, width - 1);
                }
            }

            var at = repetition.End();
            BinaryPrimitives.WriteInt32LittleEndian(page, at - sizeof(int));
            var definitionStart = at;
            var definition = new LevelRuns(page, at + sizeof(int));
            foreach (var row in present)
            {
                definition.Add(row ? (byte)2 : (byte)0, row ? width : 1);
            }

            at = definition.End();
            BinaryPrimitives.WriteInt32LittleEndian(page.AsSpan(definitionStart), at - definitionStart - sizeof(int));
            at += CopyFloats(values.Span, page.AsSpan(at));
            await WritePageAsync(column, page.AsMemory(0, at), levels, cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(page);
        }

        End(column, present.Count);
    }

    /// <summary>Writes the footer; the file is complete once this returns. A file with no row group is still a valid, empty one.</summary>
    public async Task CompleteAsync(CancellationToken cancellationToken = default)
    {
        if (_current.Count > 0)
        {
            throw new InvalidOperationException($"the row group has {_current.Count} of its {columns.Count} columns written");
        }

        await StartAsync(cancellationToken);
        var footer = Footer();
        await WriteAsync(footer, cancellationToken);
        var tail = new byte[8];
        BinaryPrimitives.WriteInt32LittleEndian(tail, footer.Length);
        Magic.CopyTo(tail, 4);
        await WriteAsync(tail, cancellationToken);
        await destination.FlushAsync(cancellationToken);
    }

    /// <summary>The entry of the column to write next, which must be of <paramref name="kind"/>; starts a row group when it is the first.</summary>
    private ColumnEntry Next(PlainColumnKind kind, int rows)
    {
        // A file of no rows has no row group: a list column of no rows would have no page for its chunk to point at.
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        var declared = columns[_current.Count];
        if (declared.Kind != kind)
        {
            throw new InvalidOperationException($"column {declared.Name} is {declared.Kind}, not {kind}");
        }

        if (_current.Count == 0)
        {
            _groupRows = rows;
        }
        else if (rows != _groupRows)
        {
            throw new ArgumentException($"column {declared.Name} has {rows} rows, its row group {_groupRows}");
        }

        return new ColumnEntry(declared, _position == 0 ? Magic.Length : _position);
    }

    private void End(ColumnEntry column, int rows)
    {
        if (_current.Count == 0)
        {
            _groupStart = column.Offset;
        }

        _current.Add(column);
        if (_current.Count == columns.Count)
        {
            _groups.Add(new RowGroupEntry([.. _current], rows, _groupStart, _position - _groupStart));
            _rows += rows;
            _current.Clear();
        }
    }

    private async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_position == 0)
        {
            await WriteAsync(Magic, cancellationToken);
        }
    }

    /// <summary>
    /// A UTF-8 string column as one page: definition levels when <paramref name="present"/> says which rows have a value,
    /// then each value its length and its bytes.
    /// </summary>
    private async Task WriteStringPageAsync(ColumnEntry column, IReadOnlyList<string> values, bool[]? present, CancellationToken cancellationToken)
    {
        var rows = present?.Length ?? values.Count;
        var size = present is null ? 0 : LevelsSize(rows);
        foreach (var value in values)
        {
            size += sizeof(int) + Encoding.UTF8.GetByteCount(value);
        }

        var page = ArrayPool<byte>.Shared.Rent(Math.Max(1, size));
        try
        {
            var at = present is null ? 0 : WriteDefinitionLevels(page, present);
            var first = at;
            (int At, int Length) min = default, max = default;
            foreach (var value in values)
            {
                var length = Encoding.UTF8.GetBytes(value, page.AsSpan(at + sizeof(int)));
                BinaryPrimitives.WriteInt32LittleEndian(page.AsSpan(at), length);
                var bytes = page.AsSpan(at + sizeof(int), length);
                if (at == first || bytes.SequenceCompareTo(page.AsSpan(min.At, min.Length)) < 0)
                {
                    min = (at + sizeof(int), length);
                }

                if (at == first || bytes.SequenceCompareTo(page.AsSpan(max.At, max.Length)) > 0)
                {
                    max = (at + sizeof(int), length);
                }

                at += sizeof(int) + length;
            }

            await StartAsync(cancellationToken);
            if (present is null && values.Count > 0)
            {
                column.Min = page.AsSpan(min.At, min.Length).ToArray();
                column.Max = page.AsSpan(max.At, max.Length).ToArray();
            }

            await WritePageAsync(column, page.AsMemory(0, at), rows, cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(page);
        }

        End(column, rows);
    }

    /// <summary>Bytes the definition levels of <paramref name="rows"/> optional values take at most: a run of at most 6 bytes each.</summary>
    private static int LevelsSize(int rows) => sizeof(int) + (6 * rows);

    /// <summary>Definition levels, bit width 1 (1 where a row has a value), length-prefixed; returns the bytes written.</summary>
    private static int WriteDefinitionLevels(byte[] page, bool[] present)
    {
        var levels = new LevelRuns(page, sizeof(int));
        foreach (var row in present)
        {
            levels.Add(row ? (byte)1 : (byte)0, 1);
        }

        var at = levels.End();
        BinaryPrimitives.WriteInt32LittleEndian(page, at - sizeof(int));
        return at;
    }

    /// <summary>Bytes a list page of <paramref name="rows"/> rows takes at most: levels of at most 12 bytes a row, and the floats.</summary>
    private static int ListPageSize(int rows, int width) => (2 * sizeof(int)) + (12 * rows) + 12 + (rows * width * sizeof(float));

    private static int BuildListPage(byte[] page, ReadOnlySpan<float> values, int rows, int width)
    {
        // Repetition levels, bit width 1: each row a 0, then width - 1 ones.
        var repetition = new LevelRuns(page, sizeof(int));
        for (var r = 0; r < rows; r++)
        {
            repetition.Add(0, 1);
            repetition.Add(1, width - 1);
        }

        var at = repetition.End();
        BinaryPrimitives.WriteInt32LittleEndian(page, at - sizeof(int));

        // Definition levels, bit width 1: one run of ones, as every list and every value is present.
        var definitionStart = at;
        var definition = new LevelRuns(page, at + sizeof(int));
        definition.Add(1, rows * width);
        at = definition.End();
        BinaryPrimitives.WriteInt32LittleEndian(page.AsSpan(definitionStart), at - definitionStart - sizeof(int));
        return at + CopyFloats(values, page.AsSpan(at));
    }

    /// <summary>PLAIN floats: little-endian, end to end. Returns the bytes written.</summary>
    private static int CopyFloats(ReadOnlySpan<float> values, Span<byte> destination)
    {
        var bytes = MemoryMarshal.AsBytes(values);
        if (BitConverter.IsLittleEndian)
        {
            bytes.CopyTo(destination);
        }
        else
        {
            for (var i = 0; i < values.Length; i++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(destination[(i * sizeof(float))..], values[i]);
            }
        }

        return bytes.Length;
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
        await StartAsync(cancellationToken);
        var compressed = column.Declared.Codec == PlainCodec.Snappy ? ArrayPool<byte>.Shared.Rent(Snappy.GetMaxCompressedLength(page.Length)) : null;
        try
        {
            var stored = compressed is null ? page : compressed.AsMemory(0, Snappy.Compress(page.Span, compressed));
            _thrift.Clear();
            _thrift.I32(1, 0); // DATA_PAGE
            _thrift.I32(2, page.Length);
            _thrift.I32(3, stored.Length);
            _thrift.BeginStruct(5);
            _thrift.I32(1, values);
            _thrift.I32(2, 0); // PLAIN
            _thrift.I32(3, 3); // RLE
            _thrift.I32(4, 3); // RLE
            _thrift.EndStruct();
            _thrift.EndMessage();
            var header = _thrift.Written;
            await WriteAsync(header, cancellationToken);
            await WriteAsync(stored, cancellationToken);
            column.Values += values;
            column.Uncompressed += header.Length + page.Length;
            column.Compressed += header.Length + stored.Length;
        }
        finally
        {
            if (compressed is not null)
            {
                ArrayPool<byte>.Shared.Return(compressed);
            }
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
        thrift.BeginList(2, ThriftCompactReader.Struct, 1 + columns.Sum(c => IsList(c.Kind) ? 3 : 1));
        SchemaElement(thrift, "root", type: null, repetition: null, children: columns.Count, converted: null, logical: null);
        foreach (var column in columns)
        {
            switch (column.Kind)
            {
                case PlainColumnKind.String:
                    SchemaElement(thrift, column.Name, PhysicalType.ByteArray, Required, children: null, Utf8, logical: 1);
                    break;
                case PlainColumnKind.OptionalString:
                    SchemaElement(thrift, column.Name, PhysicalType.ByteArray, Optional, children: null, Utf8, logical: 1);
                    break;
                case PlainColumnKind.Int32:
                    SchemaElement(thrift, column.Name, PhysicalType.Int32, Required, children: null, converted: null, logical: null);
                    break;
                default:
                    SchemaElement(thrift, column.Name, type: null, column.Kind == PlainColumnKind.OptionalFloatList ? Optional : Required, children: 1, ListConverted, logical: 3);
                    SchemaElement(thrift, "list", type: null, Repeated, children: 1, converted: null, logical: null);
                    SchemaElement(thrift, "element", PhysicalType.Float, Required, children: null, converted: null, logical: null);
                    break;
            }
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
                var path = IsList(column.Declared.Kind) ? new[] { column.Declared.Name, "list", "element" } : [column.Declared.Name];
                thrift.BeginList(3, ThriftCompactReader.Binary, path.Length);
                foreach (var step in path)
                {
                    thrift.StringValue(step);
                }

                thrift.I32(4, (int)column.Declared.Codec);
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

        if (metadata is { Count: > 0 })
        {
            thrift.BeginList(5, ThriftCompactReader.Struct, metadata.Count);
            foreach (var (key, value) in metadata)
            {
                thrift.BeginStructValue();
                thrift.String(1, key);
                thrift.String(2, value);
                thrift.EndStruct();
            }
        }

        thrift.String(6, "Fruits.Orleans");

        // Every leaf column in its type's own order: what tells a reader that the min and max above are comparable.
        thrift.BeginList(7, ThriftCompactReader.Struct, columns.Count);
        for (var leaf = 0; leaf < columns.Count; leaf++)
        {
            thrift.BeginStructValue();
            thrift.BeginStruct(1);
            thrift.EndStruct();
            thrift.EndStruct();
        }

        thrift.EndMessage();
        return thrift.Written.ToArray();
    }

    private static bool IsList(PlainColumnKind kind) => kind is PlainColumnKind.FloatList or PlainColumnKind.OptionalFloatList;

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

    /// <summary>Levels as RLE runs into a page from an offset on, adjacent runs of one level merged into one.</summary>
    private struct LevelRuns(byte[] page, int start)
    {
        private int _at = start;
        private byte _level;
        private int _length;

        public void Add(byte level, int length)
        {
            if (length == 0)
            {
                return;
            }

            if (_length > 0 && level != _level)
            {
                _at += Run(page.AsSpan(_at), _length, _level);
                _length = 0;
            }

            _level = level;
            _length += length;
        }

        /// <summary>Writes the last run; returns the offset after it.</summary>
        public int End()
        {
            if (_length > 0)
            {
                _at += Run(page.AsSpan(_at), _length, _level);
                _length = 0;
            }

            return _at;
        }
    }

    private enum PhysicalType
    {
        Int32 = 1,
        Float = 4,
        ByteArray = 6,
    }

    private sealed class ColumnEntry(PlainColumn declared, long offset)
    {
        public PlainColumn Declared { get; } = declared;

        public PhysicalType Type { get; } = declared.Kind switch
        {
            PlainColumnKind.Int32 => PhysicalType.Int32,
            PlainColumnKind.FloatList or PlainColumnKind.OptionalFloatList => PhysicalType.Float,
            _ => PhysicalType.ByteArray,
        };

        public long Offset { get; } = offset;

        public long Values { get; set; }

        public long Uncompressed { get; set; }

        public long Compressed { get; set; }

        /// <summary>The column's smallest value, for the columns that carry statistics.</summary>
        public byte[]? Min { get; set; }

        public byte[]? Max { get; set; }
    }

    private sealed record RowGroupEntry(ColumnEntry[] Columns, long Rows, long Offset, long Bytes);
}
