using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Parquet.Meta;
using Parquet.Schema;
using Snappier;

namespace Fruits.Pipeline.Output;

/// <summary>
/// Reads one row group's list-of-floats column (features, pca features) straight from its pages into a flat block.
/// Parquet.Net's reader copies every compressed page through a growing stream and expands both level streams into an
/// int per value, so reading a final part passed each row group through several buffers larger than its floats, which
/// a refit had to fault in and copy; here a page is decompressed once into a pooled buffer, its levels are checked
/// run by run without being expanded, and its values are copied to their place.
/// </summary>
/// <remarks>
/// Reads only the layout these files are written in: a FLOAT column, Snappy-compressed or not, version 1 data pages,
/// PLAIN values, RLE levels, no dictionary, no nulls, and every row a list of the same length. For anything else it
/// returns null and the caller reads the chunk with Parquet.Net, so a part written by another tool still reads.
/// </remarks>
public static class FloatListColumnChunk
{
    private const int DataPage = 0;
    private const int Plain = 0;
    private const int Rle = 3;

    /// <summary>
    /// Fills <paramref name="destination"/> (exactly the chunk's value count) with the values of <paramref name="chunk"/>
    /// in <paramref name="file"/>, and returns the length of each row's list; null when the chunk is not in the layout
    /// this reads, with <paramref name="destination"/> then in no defined state.
    /// </summary>
    public static async Task<int?> TryReadAsync(Stream file, ColumnChunk? chunk, DataField field, int rows, Memory<float> destination, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(field);
        if (chunk?.MetaData is not { } meta || meta.Type != Parquet.Meta.Type.FLOAT
            || meta.Codec is not (CompressionCodec.SNAPPY or CompressionCodec.UNCOMPRESSED)
            || rows <= 0 || meta.NumValues != destination.Length || destination.Length % rows != 0 || destination.Length == 0
            || field.MaxRepetitionLevel != 1 || !file.CanSeek)
        {
            return null;
        }

        var start = meta.DictionaryPageOffset is > 0 and var dictionary && dictionary < meta.DataPageOffset ? dictionary : meta.DataPageOffset;
        var size = meta.TotalCompressedSize;
        if (start < 0 || size <= 0 || size > int.MaxValue || start + size > file.Length)
        {
            return null;
        }

        var width = destination.Length / rows;
        var layout = new Layout(width, field.MaxRepetitionLevel, field.MaxDefinitionLevel, meta.Codec == CompressionCodec.SNAPPY);
        if (file is MemoryStream memory && memory.TryGetBuffer(out var whole) && start + size <= whole.Count)
        {
            return Decode(whole.AsSpan((int)start, (int)size), layout, destination.Span) ? width : null;
        }

        var bytes = ArrayPool<byte>.Shared.Rent((int)size);
        try
        {
            file.Seek(start, SeekOrigin.Begin);
            await file.ReadExactlyAsync(bytes.AsMemory(0, (int)size), cancellationToken);
            return Decode(bytes.AsSpan(0, (int)size), layout, destination.Span) ? width : null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    private static bool Decode(ReadOnlySpan<byte> chunk, Layout layout, Span<float> destination)
    {
        var offset = 0;
        var position = 0;
        while (position < destination.Length)
        {
            if (offset >= chunk.Length || ReadPageHeader(chunk[offset..]) is not { } page || page.CompressedSize > chunk.Length - offset - page.HeaderLength
                || page.Values <= 0 || page.Values > destination.Length - position)
            {
                return false;
            }

            var stored = chunk.Slice(offset + page.HeaderLength, page.CompressedSize);
            offset += page.HeaderLength + page.CompressedSize;
            if (!layout.Snappy)
            {
                if (stored.Length != page.UncompressedSize || !DecodePage(stored, page.Values, position, layout, destination))
                {
                    return false;
                }
            }
            else
            {
                var plain = ArrayPool<byte>.Shared.Rent(page.UncompressedSize);
                try
                {
                    if (!Snappy.TryDecompress(stored, plain, out var written) || written != page.UncompressedSize
                        || !DecodePage(plain.AsSpan(0, written), page.Values, position, layout, destination))
                    {
                        return false;
                    }
                }
                catch (InvalidDataException)
                {
                    return false;
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(plain);
                }
            }

            position += page.Values;
        }

        return offset == chunk.Length;
    }

    /// <summary>A version 1 data page: repetition levels, definition levels (each with its length first), then the values.</summary>
    private static bool DecodePage(ReadOnlySpan<byte> page, int values, int first, Layout layout, Span<float> destination)
    {
        var at = 0;
        if (!TakeLevels(page, ref at, out var repetition) || !CheckLevels(repetition, layout.MaxRepetition, values, first, layout.Width, definition: false))
        {
            return false;
        }

        if (layout.MaxDefinition > 0 && (!TakeLevels(page, ref at, out var definitions) || !CheckLevels(definitions, layout.MaxDefinition, values, first, layout.Width, definition: true)))
        {
            return false;
        }

        var floats = page[at..];
        if (floats.Length != values * sizeof(float))
        {
            return false;
        }

        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.Cast<byte, float>(floats).CopyTo(destination.Slice(first, values));
        }
        else
        {
            for (var i = 0; i < values; i++)
            {
                destination[first + i] = BinaryPrimitives.ReadSingleLittleEndian(floats[(i * sizeof(float))..]);
            }
        }

        return true;
    }

    private static bool TakeLevels(ReadOnlySpan<byte> page, ref int at, out ReadOnlySpan<byte> levels)
    {
        levels = default;
        if (page.Length - at < sizeof(int))
        {
            return false;
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(page[at..]);
        at += sizeof(int);
        if (length < 0 || length > page.Length - at)
        {
            return false;
        }

        levels = page.Slice(at, length);
        at += length;
        return true;
    }

    /// <summary>
    /// Whether RLE/bit-packed levels say what a rectangular list of present values says: every definition level at its
    /// maximum, and a repetition level of 0 exactly where a row starts (each <paramref name="width"/> values) and the
    /// maximum elsewhere. A run of repeated levels is checked as a whole.
    /// </summary>
    private static bool CheckLevels(ReadOnlySpan<byte> levels, int maxLevel, int count, int first, int width, bool definition)
    {
        var bitWidth = 32 - int.LeadingZeroCount(maxLevel);
        var at = 0;
        var done = 0;
        while (done < count)
        {
            if (!TryReadVarint(levels, ref at, out var header))
            {
                return false;
            }

            if ((header & 1) == 0)
            {
                var run = (int)Math.Min(header >> 1, (uint)(count - done));
                var byteWidth = (bitWidth + 7) / 8;
                if (run == 0 || levels.Length - at < byteWidth)
                {
                    return false;
                }

                var value = 0;
                for (var b = 0; b < byteWidth; b++)
                {
                    value |= levels[at + b] << (8 * b);
                }

                at += byteWidth;
                if (!RunMatches(value, first + done, run, maxLevel, width, definition))
                {
                    return false;
                }

                done += run;
            }
            else
            {
                var groups = (int)Math.Min(header >> 1, int.MaxValue / 8);
                var bytes = (long)groups * bitWidth;
                if (groups == 0 || bytes > levels.Length - at)
                {
                    return false;
                }

                var packed = levels.Slice(at, (int)bytes);
                at += (int)bytes;
                var take = Math.Min(groups * 8, count - done);
                for (var i = 0; i < take; i++)
                {
                    var bit = i * bitWidth;
                    var pair = packed[bit >> 3] | ((bit >> 3) + 1 < packed.Length ? packed[(bit >> 3) + 1] << 8 : 0);
                    var value = (pair >> (bit & 7)) & ((1 << bitWidth) - 1);
                    if (value != Expected(first + done + i, maxLevel, width, definition))
                    {
                        return false;
                    }
                }

                done += take;
            }
        }

        return true;
    }

    private static int Expected(long position, int maxLevel, int width, bool definition) =>
        definition || position % width != 0 ? maxLevel : 0;

    private static bool RunMatches(int value, long start, int run, int maxLevel, int width, bool definition)
    {
        if (definition)
        {
            return value == maxLevel;
        }

        // Repetition: 0 only at a row's first value, the maximum at every other.
        var column = start % width;
        return width == 1 ? value == 0
            : value == 0 ? run == 1 && column == 0
            : value == maxLevel && column != 0 && column + run <= width;
    }

    private static bool TryReadVarint(ReadOnlySpan<byte> data, ref int at, out uint value)
    {
        value = 0;
        for (var shift = 0; shift < 35 && at < data.Length; shift += 7)
        {
            var b = data[at++];
            value |= (uint)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The header of a version 1 data page with PLAIN values and RLE levels; null for any other page.</summary>
    private static PageHeaderFields? ReadPageHeader(ReadOnlySpan<byte> data)
    {
        try
        {
            // PageHeader: 1 type, 2 uncompressed size, 3 compressed size, 5 DataPageHeader: 1 values, 2 encoding,
            // 3 definition level encoding, 4 repetition level encoding.
            var reader = new ThriftCompactReader(data);
            Span<int> header = [-1, -1, -1, -1];
            Span<int> page = [-1, -1, -1, -1, -1];
            reader.ReadI32Fields(header, nested: 5, page);
            var (type, uncompressed, compressed) = (header[1], header[2], header[3]);
            var (values, encoding, definitionEncoding, repetitionEncoding) = (page[1], page[2], page[3], page[4]);
            return type == DataPage && encoding == Plain && definitionEncoding == Rle && repetitionEncoding == Rle
                && uncompressed >= 0 && compressed >= 0 && values > 0
                ? new PageHeaderFields(reader.Position, uncompressed, compressed, values)
                : null;
        }
        catch (InvalidDataException)
        {
            return null;
        }
        catch (OverflowException)
        {
            return null;
        }
    }

    private readonly record struct Layout(int Width, int MaxRepetition, int MaxDefinition, bool Snappy);

    private readonly record struct PageHeaderFields(int HeaderLength, int UncompressedSize, int CompressedSize, int Values);
}
