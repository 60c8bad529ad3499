using Fruits.Grains.Interfaces;
using Fruits.Pipeline.Reuse;
using Fruits.Pipeline.Statistics;

namespace Fruits.Grains;

/// <summary>
/// Statistics an earlier job computed from the rows named <see cref="Fingerprint"/>, and which of this job's listed
/// images they account for (<see cref="Covered"/>, as predicted from the store's index). <see cref="Exact"/>: they are
/// this job's whole rows, in the same batches, and <see cref="Model"/> is their fit for this job's selection if kept.
/// </summary>
public sealed record RecalledStatistics(string Fingerprint, byte[] Moments, MomentStatistics Statistics, PcaModel? Model, UInt128?[] Listed, bool[] Covered)
{
    public bool Exact { get; init; }

    /// <summary>The <see cref="FeaturizeRequest.SkipStatistics"/> mask of <paramref name="batch"/>; null when it covers none of its images.</summary>
    public byte[]? MaskFor(int batch, int batchSize)
    {
        var start = batch * batchSize;
        var count = Math.Min(batchSize, Covered.Length - start);
        byte[]? mask = null;
        for (var i = 0; i < count; i++)
        {
            if (Covered[start + i])
            {
                mask ??= new byte[(count + 7) / 8];
                mask[i >> 3] |= (byte)(1 << (i & 7));
            }
        }

        return mask;
    }

    /// <summary>
    /// Whether every covered image became a row with the content predicted for it: then these statistics hold exactly
    /// those rows. A batch with a covered image that failed, or that reported no row hashes, breaks it.
    /// </summary>
    /// <param name="results">Each batch's result, in batch order; null for a batch not featurized.</param>
    /// <param name="rows">Each batch's row hashes, unpacked from its result (<see cref="RowsFingerprint.Unpack"/>).</param>
    public bool Holds(IReadOnlyList<BatchResult?> results, IReadOnlyList<UInt128[]?> rows, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(results);
        ArgumentNullException.ThrowIfNull(rows);
        var batches = results.Count;
        for (var batch = 0; batch < batches; batch++)
        {
            var start = batch * batchSize;
            var count = Math.Min(batchSize, Covered.Length - start);
            if (!Covered.AsSpan(start, count).Contains(true))
            {
                continue;
            }

            if (results[batch] is not { Failed: 0 } || rows[batch] is not { } batchRows || batchRows.Length != count)
            {
                return false;
            }

            for (var i = 0; i < count; i++)
            {
                if (Covered[start + i] && batchRows[i] != Listed[start + i])
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>The batches every image of which is covered: their rows are all in these statistics.</summary>
    public int[] FullyCoveredBatches(int batches, int batchSize) =>
        [.. Enumerable.Range(0, batches).Where(b => !Covered.AsSpan(b * batchSize, Math.Min(batchSize, Covered.Length - (b * batchSize))).Contains(false))];
}
