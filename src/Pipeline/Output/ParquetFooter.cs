using System.Buffers.Binary;
using Fruits.Pipeline.Storage;
using Parquet;

namespace Fruits.Pipeline.Output;

/// <summary>
/// A part's row count and key-value metadata from its footer alone, read with one tail request (two for an
/// unusually large footer), so checking a part costs a few kilobytes, not the part.
/// </summary>
internal sealed record ParquetFooter(long Rows, IReadOnlyDictionary<string, string> Metadata)
{
    // Parquet files start and end with "PAR1"; the 4 bytes before the last magic are the footer's length.
    private const int MagicLength = 4;
    private const int TrailerLength = 8;
    private const int FirstTailBytes = 16 * 1024; // a features part's footer is 1 to 2 KB

    /// <summary>The footer, or null when the part is missing, empty, truncated or its footer does not parse.</summary>
    public static async Task<ParquetFooter?> TryReadAsync(IObjectStore store, string key, CancellationToken cancellationToken)
    {
        var tail = await store.ReadTailAsync(key, FirstTailBytes, cancellationToken);
        if (tail is null || FooterLength(tail) is not { } footerLength)
        {
            return null;
        }

        if (footerLength + TrailerLength > tail.Bytes.Length)
        {
            var whole = await store.ReadTailAsync(key, footerLength + TrailerLength, cancellationToken);
            if (whole is null || whole.Length != tail.Length || FooterLength(whole) != footerLength)
            {
                return null; // rewritten between the two reads
            }

            tail = whole;
        }

        // The footer is self-contained; behind a leading magic it reads as a file whose row groups are not needed.
        using var stream = new MemoryStream(MagicLength + footerLength + TrailerLength);
        stream.Write("PAR1"u8);
        stream.Write(tail.Bytes.AsSpan(tail.Bytes.Length - footerLength - TrailerLength));
        stream.Position = 0;
        try
        {
            await using var reader = await ParquetReader.CreateAsync(stream, cancellationToken: cancellationToken);
            var rows = reader.Metadata?.NumRows ?? -1;
            return rows < 0 ? null : new ParquetFooter(rows, reader.CustomMetadata ?? new Dictionary<string, string>());
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return null;
        }
    }

    private static int? FooterLength(ObjectTail tail)
    {
        var bytes = tail.Bytes;
        if (tail.Length < MagicLength + TrailerLength || bytes.Length < TrailerLength || !bytes.AsSpan(bytes.Length - MagicLength).SequenceEqual("PAR1"u8))
        {
            return null;
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(bytes.Length - TrailerLength, 4));
        return length > 0 && length <= tail.Length - MagicLength - TrailerLength ? length : null;
    }
}
