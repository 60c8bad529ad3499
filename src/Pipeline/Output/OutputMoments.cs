using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Fruits.Pipeline.Statistics;
using Fruits.Pipeline.Storage;

namespace Fruits.Pipeline.Output;

/// <summary>
/// The merged statistics a job fitted its PCA on (count, mean and co-moment of exactly the rows of its final parts),
/// kept in <see cref="OutputLayout.Moments"/> so that <c>refit</c> starts from them instead of reading every feature
/// once more to recompute them. A cache of the parts: a reader trusts it only when its checksum holds and its count
/// is the parts' row count, and otherwise recomputes from the parts.
/// </summary>
/// <remarks>
/// Layout, little-endian: the 8-byte magic, dimension (int32), count (int64), mean (dimension doubles), the
/// co-moment's packed upper triangle (dimension x (dimension + 1) / 2 doubles), then the SHA-256 of everything before it.
/// </remarks>
public static class OutputMoments
{
    private static ReadOnlySpan<byte> Magic => "FRUITSM1"u8;

    private const int HeaderLength = 8 + sizeof(int) + sizeof(long);
    private const int HashLength = SHA256.HashSizeInBytes;

    /// <summary>Largest dimension a stored file may claim: bounds what a damaged file can make a reader allocate (about 67 MB).</summary>
    private const int MaxDimension = 4096;

    public static byte[] Serialize(MomentStatistics statistics)
    {
        ArgumentNullException.ThrowIfNull(statistics);
        var d = statistics.Dimension;
        if (statistics.Mean.Length != d || statistics.CoMoment.Length != PackedTriangle.Length(d))
        {
            throw new ArgumentException("Statistics arrays do not match their dimension.", nameof(statistics));
        }

        var bytes = new byte[Length(d)];
        var span = bytes.AsSpan();
        Magic.CopyTo(span);
        BinaryPrimitives.WriteInt32LittleEndian(span[8..], d);
        BinaryPrimitives.WriteInt64LittleEndian(span[12..], statistics.Count);
        var body = span[HeaderLength..^HashLength];
        WriteDoubles(statistics.Mean, body[..(d * sizeof(double))]);
        WriteDoubles(statistics.CoMoment, body[(d * sizeof(double))..]);
        SHA256.HashData(span[..^HashLength], span[^HashLength..]);
        return bytes;
    }

    /// <summary>The statistics in <paramref name="bytes"/>, or null when they are not a whole, intact file of this layout.</summary>
    public static MomentStatistics? TryDeserialize(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < HeaderLength + HashLength || !bytes[..8].SequenceEqual(Magic))
        {
            return null;
        }

        var d = BinaryPrimitives.ReadInt32LittleEndian(bytes[8..]);
        var count = BinaryPrimitives.ReadInt64LittleEndian(bytes[12..]);
        if (d < 1 || d > MaxDimension || count < 0 || bytes.Length != Length(d))
        {
            return null;
        }

        Span<byte> hash = stackalloc byte[HashLength];
        SHA256.HashData(bytes[..^HashLength], hash);
        if (!hash.SequenceEqual(bytes[^HashLength..]))
        {
            return null;
        }

        var body = bytes[HeaderLength..^HashLength];
        var mean = new double[d];
        var coMoment = new double[PackedTriangle.Length(d)];
        ReadDoubles(body[..(d * sizeof(double))], mean);
        ReadDoubles(body[(d * sizeof(double))..], coMoment);
        return new MomentStatistics { Dimension = d, Count = count, Mean = mean, CoMoment = coMoment };
    }

    public static Task WriteAsync(IObjectStore store, MomentStatistics statistics, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        return store.WriteAsync(OutputLayout.Moments, Serialize(statistics), cancellationToken);
    }

    /// <summary>
    /// The output's stored statistics when they are intact and count exactly <paramref name="rows"/> rows; else null
    /// (none stored, damaged, or left from other rows). Whoever uses them still checks their dimension against the features.
    /// </summary>
    public static async Task<MomentStatistics?> TryReadAsync(IObjectStore store, long rows, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (await store.TryGetInfoAsync(OutputLayout.Moments, cancellationToken) is not { } info || info.Size > Length(MaxDimension))
        {
            return null;
        }

        try
        {
            return TryDeserialize(await store.ReadAllBytesAsync(OutputLayout.Moments, Length(MaxDimension), cancellationToken)) is { } statistics && statistics.Count == rows
                ? statistics
                : null;
        }
        catch (StorageException)
        {
            // Replaced or removed since it was looked at: the parts are still there to recompute from.
            return null;
        }
    }

    /// <summary>The largest file this layout allows: what a reader may have to read.</summary>
    public static long MaxLength => Length(MaxDimension);

    private static long Length(int dimension) => HeaderLength + ((dimension + PackedTriangle.Length(dimension)) * (long)sizeof(double)) + HashLength;

    private static void WriteDoubles(ReadOnlySpan<double> values, Span<byte> destination)
    {
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(values).CopyTo(destination);
            return;
        }

        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteDoubleLittleEndian(destination[(i * sizeof(double))..], values[i]);
        }
    }

    private static void ReadDoubles(ReadOnlySpan<byte> source, Span<double> values)
    {
        if (BitConverter.IsLittleEndian)
        {
            source.CopyTo(MemoryMarshal.AsBytes(values));
            return;
        }

        for (var i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadDoubleLittleEndian(source[(i * sizeof(double))..]);
        }
    }
}
