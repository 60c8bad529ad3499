using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;

namespace Fruits.Models;

/// <summary>Reads NumPy .npy v1/v2/v3 files holding little-endian float32 in C order.</summary>
public static partial class NpyReader
{
    public static NpyTensor Read(ReadOnlySpan<byte> bytes, string name)
    {
        if (bytes.Length < 10 || bytes[0] != 0x93 || !bytes[1..6].SequenceEqual("NUMPY"u8))
        {
            throw new InvalidDataException($"{name}: not a .npy file");
        }

        var major = bytes[6];
        var (headerLength, headerStart) = major == 1
            ? (BinaryPrimitives.ReadUInt16LittleEndian(bytes[8..]), 10)
            : ((int)BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]), 12);
        var header = Encoding.Latin1.GetString(bytes.Slice(headerStart, headerLength));
        var descr = Descr().Match(header);
        if (!descr.Success || descr.Groups[1].Value != "<f4")
        {
            throw new InvalidDataException($"{name}: expected little-endian float32 ('<f4'), header {header.Trim()}");
        }

        if (header.Contains("'fortran_order': True", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{name}: Fortran order is not supported");
        }

        var shapeText = Shape().Match(header).Groups[1].Value;
        var shape = shapeText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToArray();
        var count = shape.Aggregate(1, (a, b) => a * b);
        var data = bytes[(headerStart + headerLength)..];
        if (data.Length != count * sizeof(float))
        {
            throw new InvalidDataException($"{name}: {data.Length} data bytes for shape ({shapeText})");
        }

        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(data[(i * 4)..]);
        }

        return new NpyTensor(shape, values);
    }

    [GeneratedRegex(@"'descr':\s*'([^']+)'")]
    private static partial Regex Descr();

    [GeneratedRegex(@"'shape':\s*\(([^)]*)\)")]
    private static partial Regex Shape();
}
