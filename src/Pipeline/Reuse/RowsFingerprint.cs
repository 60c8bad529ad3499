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
/// runs, from the store's index and the listing alone (<see cref="FeatureStoreIndex.TryFindVersion"/>).
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
    /// The fingerprint a job over these listed images will have if every one of them is found in the store by its
    /// version and featurizes without error; null when any image is not found so.
    /// </summary>
    /// <param name="versions">Each listed image's version key (<see cref="ImageVersionKey"/>), in listing order.</param>
    public static string? Predict(IReadOnlyList<UInt128?> versions, int batchSize, FeatureStoreIndex index)
    {
        ArgumentNullException.ThrowIfNull(versions);
        ArgumentNullException.ThrowIfNull(index);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        var digests = new List<byte[]?>((versions.Count + batchSize - 1) / batchSize);
        var prefixes = new UInt128[batchSize];
        for (var start = 0; start < versions.Count; start += batchSize)
        {
            var rows = Math.Min(batchSize, versions.Count - start);
            for (var i = 0; i < rows; i++)
            {
                if (versions[start + i] is not { } version || !index.TryFindVersion(version, out prefixes[i], out _))
                {
                    return null;
                }
            }

            digests.Add(OfBatch(prefixes.AsSpan(0, rows)));
        }

        return digests.Count == 0 ? null : Of(digests);
    }
}
