namespace Fruits.Pipeline.Output;

/// <summary>
/// Just enough of Thrift's compact protocol to read a Parquet page header: field headers, integers, and skipping any
/// field it does not need. Every read is bounds-checked; a malformed header throws <see cref="InvalidDataException"/>.
/// </summary>
internal ref struct ThriftCompactReader(ReadOnlySpan<byte> data)
{
    public const byte Stop = 0;
    public const byte BooleanTrue = 1;
    public const byte BooleanFalse = 2;
    public const byte Byte = 3;
    public const byte I16 = 4;
    public const byte I32 = 5;
    public const byte I64 = 6;
    public const byte Double = 7;
    public const byte Binary = 8;
    public const byte List = 9;
    public const byte Set = 10;
    public const byte Map = 11;
    public const byte Struct = 12;

    /// <summary>Nesting a header may use; a deeper one is refused rather than followed.</summary>
    private const int MaxDepth = 32;

    private readonly ReadOnlySpan<byte> _data = data;

    public int Position { get; private set; }

    /// <summary>The next field's id and type within the current struct; type <see cref="Stop"/> ends the struct.</summary>
    public (short Id, byte Type) ReadFieldHeader(ref short lastId)
    {
        var header = ReadByte();
        var type = (byte)(header & 0x0F);
        if (type == Stop)
        {
            return (0, Stop);
        }

        var delta = header >> 4;
        lastId = delta == 0 ? checked((short)ZigZag(ReadVarint())) : checked((short)(lastId + delta));
        return (lastId, type);
    }

    public int ReadI32() => checked((int)ZigZag(ReadVarint()));

    /// <summary>
    /// Reads the rest of the current struct: each I32 field whose id indexes <paramref name="values"/> is stored there,
    /// the struct field numbered <paramref name="nested"/> (if not 0) is read the same way into
    /// <paramref name="nestedValues"/>, and every other field is skipped.
    /// </summary>
    public void ReadI32Fields(scoped Span<int> values, short nested, scoped Span<int> nestedValues)
    {
        short last = 0;
        while (ReadFieldHeader(ref last) is var (id, type) && type != Stop)
        {
            if (type == I32 && id > 0 && id < values.Length)
            {
                values[id] = ReadI32();
            }
            else if (type == Struct && nested != 0 && id == nested)
            {
                ReadI32Fields(nestedValues, 0, default);
            }
            else
            {
                Skip(type);
            }
        }
    }

    public long ReadI64() => ZigZag(ReadVarint());

    /// <summary>Skips a value of <paramref name="type"/>, whatever it holds.</summary>
    public void Skip(byte type, int depth = 0)
    {
        if (depth > MaxDepth)
        {
            throw new InvalidDataException("a Thrift value nests too deeply");
        }

        switch (type)
        {
            case BooleanTrue or BooleanFalse:
                break;
            case Byte:
                Advance(1);
                break;
            case I16 or I32 or I64:
                ReadVarint();
                break;
            case Double:
                Advance(8);
                break;
            case Binary:
                Advance(checked((int)ReadVarint()));
                break;
            case List or Set:
                var header = ReadByte();
                var size = header >> 4 == 15 ? checked((int)ReadVarint()) : header >> 4;
                var element = (byte)(header & 0x0F);
                for (var i = 0; i < size; i++)
                {
                    // A boolean in a list takes a byte of its own.
                    if (element is BooleanTrue or BooleanFalse)
                    {
                        Advance(1);
                    }
                    else
                    {
                        Skip(element, depth + 1);
                    }
                }

                break;
            case Map:
                var entries = checked((int)ReadVarint());
                if (entries > 0)
                {
                    var types = ReadByte();
                    for (var i = 0; i < entries; i++)
                    {
                        Skip((byte)(types >> 4), depth + 1);
                        Skip((byte)(types & 0x0F), depth + 1);
                    }
                }

                break;
            case Struct:
                short last = 0;
                while (ReadFieldHeader(ref last) is var (_, fieldType) && fieldType != Stop)
                {
                    Skip(fieldType, depth + 1);
                }

                break;
            default:
                throw new InvalidDataException($"unknown Thrift type {type}");
        }
    }

    private byte ReadByte()
    {
        if (Position >= _data.Length)
        {
            throw new InvalidDataException("a Thrift value runs past its bytes");
        }

        return _data[Position++];
    }

    private void Advance(int count)
    {
        if (count < 0 || count > _data.Length - Position)
        {
            throw new InvalidDataException("a Thrift value runs past its bytes");
        }

        Position += count;
    }

    private ulong ReadVarint()
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = ReadByte();
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }

        throw new InvalidDataException("a Thrift varint is longer than 64 bits");
    }

    private static long ZigZag(ulong value) => (long)(value >> 1) ^ -(long)(value & 1);
}
