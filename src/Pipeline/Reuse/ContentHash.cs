using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Fruits.Pipeline.Reuse;

/// <summary>
/// The SHA-256 of an image's bytes. The index keys entries by its first 128 bits (16 bytes an entry instead of a
/// 64-character string); the full digest is what a segment row is checked against before its features are trusted.
/// </summary>
public readonly record struct ContentHash(UInt128 Prefix, string Hex)
{
    public static ContentHash Of(ReadOnlySpan<byte> content)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(content, digest);
        return new ContentHash(BinaryPrimitives.ReadUInt128BigEndian(digest), Convert.ToHexStringLower(digest));
    }

    /// <summary>A digest as stored in a segment or an index; null when the text is not 64 hex digits.</summary>
    public static ContentHash? Parse(string hex)
    {
        if (hex.Length != SHA256.HashSizeInBytes * 2)
        {
            return null;
        }

        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        return Convert.FromHexString(hex, digest, out _, out var written) == System.Buffers.OperationStatus.Done && written == digest.Length
            ? new ContentHash(BinaryPrimitives.ReadUInt128BigEndian(digest), hex.ToLowerInvariant())
            : null;
    }
}
