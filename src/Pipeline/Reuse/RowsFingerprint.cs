using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Fruits.Pipeline.Reuse;

/// <summary>
/// Names the exact rows a job's statistics are computed from: each batch's rows by their content hashes (the first
/// 128 bits, as the store's index keys them), in row order, digested per batch; the batches' digests, in batch
/// order, digested once more. Two jobs with the same fingerprint have the same images in the same batches, so their
/// count, mean and co-moment are the same numbers, whatever the images' paths.
/// </summary>
/// <remarks>
/// Two levels, because each batch is featurized on its own and a job learns its rows one batch at a time: a featurizer
/// reports its batch's digest and the job combines them. A job can also predict the fingerprint before any batch
/// runs, from the store's index and the listing alone (<see cref="Resolve"/>).
/// </remarks>
public static class RowsFingerprint
{
    private const int PrefixBytes = 16;

    /// <summary>The digest of one batch whose rows, in order, have content hashes starting <paramref name="prefixes"/>.</summary>
    public static byte[] OfBatch(ReadOnlySpan<UInt128> prefixes)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> prefix = stackalloc byte[PrefixBytes];
        foreach (var value in prefixes)
        {
            BinaryPrimitives.WriteUInt128BigEndian(prefix, value);
            hash.AppendData(prefix);
        }

        return hash.GetHashAndReset();
    }

    /// <summary>The job's fingerprint from its batches' digests in batch order (64 lowercase hex digits); null when any is missing.</summary>
    public static string? Of(IReadOnlyList<byte[]?> batchDigests)
    {
        ArgumentNullException.ThrowIfNull(batchDigests);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var digest in batchDigests)
        {
            if (digest is not { Length: SHA256.HashSizeInBytes })
            {
                return null;
            }

            hash.AppendData(digest);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>
    /// Each listed image's content hash (first 128 bits) as the store knows it by the image's version; null for an image
    /// the store has not seen at that version (or listed without one).
    /// </summary>
    /// <param name="versions">Each listed image's version key (<see cref="ImageVersionKey"/>), in listing order.</param>
    public static UInt128?[] Resolve(IReadOnlyList<UInt128?> versions, FeatureStoreIndex index)
    {
        ArgumentNullException.ThrowIfNull(versions);
        ArgumentNullException.ThrowIfNull(index);
        var prefixes = new UInt128?[versions.Count];
        for (var i = 0; i < prefixes.Length; i++)
        {
            prefixes[i] = versions[i] is { } version && index.TryFindVersion(version, out var prefix, out _) ? prefix : null;
        }

        return prefixes;
    }

    /// <summary>
    /// The fingerprint a job over images with these content hashes (<see cref="Resolve"/>), cut into batches of
    /// <paramref name="batchSize"/>, will have if every image featurizes without error; null when any is unknown.
    /// </summary>
    public static string? Predict(IReadOnlyList<UInt128?> prefixes, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(prefixes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        if (prefixes.Count == 0 || prefixes.Any(p => p is null))
        {
            return null;
        }

        var digests = new List<byte[]?>((prefixes.Count + batchSize - 1) / batchSize);
        for (var start = 0; start < prefixes.Count; start += batchSize)
        {
            digests.Add(OfBatch([.. prefixes.Skip(start).Take(batchSize).Select(p => p!.Value)]));
        }

        return Of(digests);
    }

    /// <summary>Prefixes as a batch reports them: 16 bytes each, big-endian, in row order.</summary>
    public static byte[] Pack(ReadOnlySpan<UInt128> prefixes)
    {
        var bytes = new byte[prefixes.Length * PrefixBytes];
        for (var i = 0; i < prefixes.Length; i++)
        {
            BinaryPrimitives.WriteUInt128BigEndian(bytes.AsSpan(i * PrefixBytes), prefixes[i]);
        }

        return bytes;
    }

    /// <summary>The prefixes <see cref="Pack"/> packed; null when the bytes are not a whole number of them.</summary>
    public static UInt128[]? Unpack(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length % PrefixBytes != 0)
        {
            return null;
        }

        var prefixes = new UInt128[bytes.Length / PrefixBytes];
        for (var i = 0; i < prefixes.Length; i++)
        {
            prefixes[i] = BinaryPrimitives.ReadUInt128BigEndian(bytes[(i * PrefixBytes)..]);
        }

        return prefixes;
    }
}
