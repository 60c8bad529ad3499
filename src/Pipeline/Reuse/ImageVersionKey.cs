using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Fruits.Pipeline.Listing;

namespace Fruits.Pipeline.Reuse;

/// <summary>
/// An image as listed: its full path and the version the listing saw (the S3 ETag, or a local file's size and
/// modification time), hashed to 128 bits. The store remembers it beside the content hash of the features it
/// stored, so a rerun over images that did not change finds their features without reading a byte of them. A new
/// upload or any write to the file gives a new version, and the image is then read and looked up by content.
/// </summary>
public static class ImageVersionKey
{
    /// <summary>The key of <paramref name="image"/>; null when its listing gave no version.</summary>
    public static UInt128? Of(ImageEntry image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (string.IsNullOrEmpty(image.Version))
        {
            return null;
        }

        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes($"{image.Path}\n{image.Version}"), digest);
        return BinaryPrimitives.ReadUInt128BigEndian(digest);
    }

    /// <summary>As stored in an index file: 32 hex digits.</summary>
    public static string Format(UInt128 key) => key.ToString("x32", CultureInfo.InvariantCulture);

    /// <summary>A key read back from an index file; null when the text is not 32 hex digits.</summary>
    public static UInt128? Parse(string? text) =>
        text is { Length: 32 } && UInt128.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var key)
            ? key
            : null;
}
