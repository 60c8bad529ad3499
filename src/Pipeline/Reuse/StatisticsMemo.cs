using System.Globalization;
using System.Security.Cryptography;
using Fruits.Pipeline.Output;
using Fruits.Pipeline.Statistics;
using Fruits.Pipeline.Storage;

namespace Fruits.Pipeline.Reuse;

/// <summary>
/// The statistics, and the PCA fits, of sets of rows a job has already computed, kept in a feature store's namespace
/// under the rows' <see cref="RowsFingerprint"/>, with the rows themselves (their content hashes, sorted). A job over
/// exactly those rows again (an unchanged rerun, the same images renamed or copied elsewhere) takes the statistics
/// and fit instead of adding every row into a co-moment matrix and decomposing it once more; a job whose rows include
/// them (a folder that grew) takes the statistics and adds only its other rows.
/// </summary>
/// <remarks>
/// Like the rest of the store, a cache that is never trusted blindly: the statistics are an <see cref="OutputMoments"/>
/// file, whose checksum and row count are checked on every read, and the rows file carries a checksum too; a fit must
/// name the same rows, dimension and selection. Each is written whole and atomically, and the same fingerprint
/// always names the same numbers, so concurrent jobs may write one entry twice. A fit is also keyed by
/// <see cref="PcaFitter.MethodVersion"/>, so that a fitter that computes differently never finds an older fitter's
/// result. Each set is about 6.5 MB, one per distinct set of rows a job fitted, so a store keeps only the most
/// recently written sets (<see cref="EvictAsync"/>).
/// </remarks>
public sealed class StatisticsMemo(IObjectStore store)
{
    public const string Prefix = "statistics/";

    /// <summary>Bounds what a damaged fit file can make a reader allocate: every component of the widest model.</summary>
    private const long MaxModelBytes = 64L << 20;

    private const string RowsExtension = ".rows";

    private const string MomentsExtension = ".moments";

    public static string MomentsKey(string fingerprint) => $"{Prefix}{fingerprint[..2]}/{fingerprint}{MomentsExtension}";

    /// <summary>The rows the statistics of <paramref name="fingerprint"/> count: their content hash prefixes, sorted.</summary>
    public static string RowsKey(string fingerprint) => $"{Prefix}{fingerprint[..2]}/{fingerprint}{RowsExtension}";

    public static string ModelKey(string fingerprint, PcaSelection selection)
    {
        ArgumentNullException.ThrowIfNull(selection);
        var chosen = selection.FixedK is { } k ? $"k{k}" : $"t{selection.Threshold.ToString("R", CultureInfo.InvariantCulture)}";
        return $"{Prefix}{fingerprint[..2]}/{fingerprint}.{chosen}.fit{PcaFitter.MethodVersion}.json";
    }

    /// <summary>The stored statistics of <paramref name="fingerprint"/>, as bytes and read; null unless intact and counting <paramref name="rows"/>.</summary>
    public async Task<(byte[] Bytes, MomentStatistics Statistics)?> TryReadMomentsAsync(string fingerprint, long rows, CancellationToken cancellationToken = default)
    {
        var bytes = await TryReadAsync(MomentsKey(fingerprint), OutputMoments.MaxLength, cancellationToken);
        return bytes is not null && OutputMoments.TryDeserialize(bytes) is { } statistics && statistics.Count == rows
            ? (bytes, statistics)
            : null;
    }

    /// <summary>The stored fit of <paramref name="statistics"/> for <paramref name="selection"/>; null unless whole and fitted on them.</summary>
    public async Task<PcaModel?> TryReadModelAsync(string fingerprint, MomentStatistics statistics, PcaSelection selection, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(statistics);
        if (await TryReadAsync(ModelKey(fingerprint, selection), MaxModelBytes, cancellationToken) is not { } bytes)
        {
            return null;
        }

        try
        {
            var model = PcaModelJson.Deserialize(bytes);
            return model.Count == statistics.Count && model.Dimension == statistics.Dimension && SameSelection(model.Selection, selection)
                && model.Mean.AsSpan().SequenceEqual(statistics.Mean)
                ? model
                : null;
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidDataException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    /// <summary>Every kept set of rows, by fingerprint and row count, without reading any.</summary>
    public async Task<IReadOnlyList<(string Fingerprint, long Rows)>> ListAsync(CancellationToken cancellationToken = default)
    {
        var kept = new List<(string Fingerprint, long Rows)>();
        await foreach (var item in store.ListAsync(Prefix, cancellationToken))
        {
            var name = item.Key[(item.Key.LastIndexOf('/') + 1)..];
            if (name.EndsWith(RowsExtension, StringComparison.Ordinal) && name[..^RowsExtension.Length] is { Length: 64 } fingerprint
                && fingerprint.All(char.IsAsciiHexDigitLower) && item.Key == RowsKey(fingerprint) && RowCount(item.Size) is { } rows)
            {
                kept.Add((fingerprint, rows));
            }
        }

        return kept;
    }

    /// <summary>
    /// Removes every kept set of rows but the <paramref name="keep"/> most recently written (and
    /// <paramref name="written"/>, whatever the clocks say): its statistics first, so that no reader starts on a set
    /// being removed, then its rows and fits. Files of a set whose writer stopped half-way go with it. Returns how many
    /// sets were removed.
    /// </summary>
    /// <remarks>
    /// Safe beside other jobs: a job that already read a set's statistics holds them, one that looks for them after
    /// this finds them missing and computes them, and a set being written is the newest. Two jobs removing at once
    /// delete the same keys.
    /// </remarks>
    public async Task<int> EvictAsync(int keep, string? written = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(keep);
        var sets = new Dictionary<string, List<StoredObject>>(StringComparer.Ordinal);
        await foreach (var item in store.ListAsync(Prefix, cancellationToken))
        {
            var name = item.Key[(item.Key.LastIndexOf('/') + 1)..];
            if (name.Length > 65 && name[64] == '.' && name[..64] is var fingerprint && fingerprint.All(char.IsAsciiHexDigitLower)
                && item.Key.StartsWith($"{Prefix}{fingerprint[..2]}/", StringComparison.Ordinal))
            {
                (sets.TryGetValue(fingerprint, out var files) ? files : sets[fingerprint] = []).Add(item);
            }
        }

        var removed = 0;
        foreach (var (_, files) in sets.Where(s => s.Key != written)
            .OrderByDescending(s => s.Value.Max(f => f.Modified ?? DateTimeOffset.MinValue)).Skip(written is not null && sets.ContainsKey(written) ? Math.Max(0, keep - 1) : keep))
        {
            foreach (var file in files.OrderBy(f => f.Key.EndsWith(MomentsExtension, StringComparison.Ordinal) ? 0 : f.Key.EndsWith(RowsExtension, StringComparison.Ordinal) ? 1 : 2))
            {
                await store.DeleteAsync(file.Key, cancellationToken);
            }

            removed++;
        }

        return removed;
    }

    /// <summary>The sorted rows kept for <paramref name="fingerprint"/>; null unless intact and exactly <paramref name="rows"/> of them.</summary>
    public async Task<UInt128[]?> TryReadRowsAsync(string fingerprint, long rows, CancellationToken cancellationToken = default)
    {
        var bytes = await TryReadAsync(RowsKey(fingerprint), Length(rows), cancellationToken);
        if (bytes is null || bytes.Length != Length(rows)
            || !SHA256.HashData(bytes.AsSpan(0, bytes.Length - SHA256.HashSizeInBytes)).AsSpan().SequenceEqual(bytes.AsSpan(bytes.Length - SHA256.HashSizeInBytes))
            || RowsFingerprint.Unpack(bytes.AsSpan(0, bytes.Length - SHA256.HashSizeInBytes)) is not { } prefixes)
        {
            return null;
        }

        for (var i = 1; i < prefixes.Length; i++)
        {
            if (prefixes[i] < prefixes[i - 1])
            {
                return null;
            }
        }

        return prefixes;
    }

    /// <summary>Keeps the rows of <paramref name="fingerprint"/> (in any order): what a job whose rows include them looks for.</summary>
    public Task WriteRowsAsync(string fingerprint, IEnumerable<UInt128> rows, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var sorted = rows.Order().ToArray();
        var packed = RowsFingerprint.Pack(sorted);
        var bytes = new byte[packed.Length + SHA256.HashSizeInBytes];
        packed.CopyTo(bytes, 0);
        SHA256.HashData(packed, bytes.AsSpan(packed.Length));
        return store.WriteAsync(RowsKey(fingerprint), bytes, cancellationToken);
    }

    public Task WriteMomentsAsync(string fingerprint, ReadOnlyMemory<byte> moments, CancellationToken cancellationToken = default) =>
        store.WriteAsync(MomentsKey(fingerprint), moments, cancellationToken);

    public Task WriteModelAsync(string fingerprint, PcaModel model, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        return store.WriteAsync(ModelKey(fingerprint, model.Selection), PcaModelJson.Serialize(model), cancellationToken);
    }

    private async Task<byte[]?> TryReadAsync(string key, long maxBytes, CancellationToken cancellationToken)
    {
        try
        {
            return await store.ReadAllBytesAsync(key, maxBytes, cancellationToken);
        }
        catch (StorageException)
        {
            // Not there (the usual case), or not readable now: either way the job computes what it needs.
            return null;
        }
    }

    private static long Length(long rows) => (rows * 16) + SHA256.HashSizeInBytes;

    private static long? RowCount(long bytes) =>
        bytes >= SHA256.HashSizeInBytes && (bytes - SHA256.HashSizeInBytes) % 16 == 0 ? (bytes - SHA256.HashSizeInBytes) / 16 : null;

    /// <summary>A fixed k names its fit alone; a threshold matters only without one.</summary>
    private static bool SameSelection(PcaSelection stored, PcaSelection wanted) =>
        stored.FixedK == wanted.FixedK && (wanted.FixedK is not null || stored.Threshold.Equals(wanted.Threshold));
}
