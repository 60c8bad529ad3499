using System.Buffers;
using System.Text;

namespace Fruits.Pipeline.Output;

/// <summary>
/// Just enough of Thrift's compact protocol to write a Parquet page header and file footer: structs of integer,
/// string, list and struct fields, written in ascending field order into a growable buffer.
/// </summary>
internal sealed class ThriftCompactWriter
{
    private readonly ArrayBufferWriter<byte> _buffer = new(256);
    private readonly Stack<short> _outer = new();
    private short _lastId;

    public ReadOnlyMemory<byte> Written => _buffer.WrittenMemory;

    public void Clear()
    {
        _buffer.Clear();
        _outer.Clear();
        _lastId = 0;
    }

    public void I32(short id, int value)
    {
        FieldHeader(id, ThriftCompactReader.I32);
        Varint(ZigZag(value));
    }

    public void I64(short id, long value)
    {
        FieldHeader(id, ThriftCompactReader.I64);
        Varint(ZigZag(value));
    }

    public void String(short id, string value)
    {
        FieldHeader(id, ThriftCompactReader.Binary);
        StringValue(value);
    }

    public void Binary(short id, ReadOnlySpan<byte> value)
    {
        FieldHeader(id, ThriftCompactReader.Binary);
        Varint((ulong)value.Length);
        value.CopyTo(_buffer.GetSpan(value.Length));
        _buffer.Advance(value.Length);
    }

    /// <summary>Opens a struct field; close it with <see cref="EndStruct"/>.</summary>
    public void BeginStruct(short id)
    {
        FieldHeader(id, ThriftCompactReader.Struct);
        BeginStructValue();
    }

    /// <summary>Opens a struct that is a list element (no field header); close it with <see cref="EndStruct"/>.</summary>
    public void BeginStructValue()
    {
        _outer.Push(_lastId);
        _lastId = 0;
    }

    public void EndStruct()
    {
        Byte(ThriftCompactReader.Stop);
        _lastId = _outer.Pop();
    }

    /// <summary>Opens a list field of <paramref name="count"/> elements of <paramref name="elementType"/>; the elements follow.</summary>
    public void BeginList(short id, byte elementType, int count)
    {
        FieldHeader(id, ThriftCompactReader.List);
        if (count < 15)
        {
            Byte((byte)((count << 4) | elementType));
        }
        else
        {
            Byte((byte)(0xF0 | elementType));
            Varint((ulong)count);
        }
    }

    public void I32Value(int value) => Varint(ZigZag(value));

    public void StringValue(string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        Varint((ulong)length);
        Encoding.UTF8.GetBytes(value, _buffer.GetSpan(length));
        _buffer.Advance(length);
    }

    /// <summary>Ends the message: the outermost struct's stop.</summary>
    public void EndMessage() => Byte(ThriftCompactReader.Stop);

    private void FieldHeader(short id, byte type)
    {
        var delta = id - _lastId;
        if (delta is > 0 and <= 15)
        {
            Byte((byte)((delta << 4) | type));
        }
        else
        {
            Byte(type);
            Varint(ZigZag(id));
        }

        _lastId = id;
    }

    private void Byte(byte value)
    {
        _buffer.GetSpan(1)[0] = value;
        _buffer.Advance(1);
    }

    private void Varint(ulong value)
    {
        var span = _buffer.GetSpan(10);
        var length = 0;
        while (value >= 0x80)
        {
            span[length++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[length++] = (byte)value;
        _buffer.Advance(length);
    }

    private static ulong ZigZag(long value) => (ulong)((value << 1) ^ (value >> 63));
}
