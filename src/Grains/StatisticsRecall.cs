using Fruits.Grains.Interfaces;
using Fruits.Pipeline.Imaging;
using Fruits.Pipeline.Output;
using Fruits.Pipeline.Reuse;
using Fruits.Pipeline.Statistics;
using Fruits.Pipeline.Storage;
using Microsoft.Extensions.Logging;

namespace Fruits.Grains;

/// <summary>
/// The statistics stage's shortcut through the feature store (<see cref="StatisticsMemo"/>): before a job featurizes,
/// it predicts the job's rows from the listing and the store's index, and finds the statistics (and fit) an earlier
/// job computed from those very rows, or else from the most of them; after a job fits, it keeps them there for the
/// next, and only the <c>keptSets</c> most recent sets stay. Never fails a job: a store it cannot read or write only
/// costs the job the computation.
/// </summary>
public sealed partial class StatisticsRecall(FeatureStoreCache featureStores, StorageLocation featureStore, string modelSha256, string jobId, int keptSets, ILogger logger)
{
    /// <summary>Kept sets of rows read in turn, largest first, when looking for one that is part of the job's.</summary>
    private const int CandidatesTried = 3;

    /// <summary>
    /// What an earlier job computed from rows this job expects, its images listed as <paramref name="versions"/> and
    /// cut into batches of <paramref name="batchSize"/>: the statistics of exactly its rows if kept, else of the largest
    /// kept set of rows among them (a folder that grew); null when none is kept, or the job's images are not in the
    /// store by their versions.
    /// </summary>
    public async Task<RecalledStatistics?> FindAsync(IReadOnlyList<UInt128?> versions, int batchSize, PcaSelection selection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(versions);
        if (keptSets == 0)
        {
            return null;
        }

        try
        {
            var (store, index) = await featureStores.OpenAsync(featureStore, Key, jobId, cancellationToken);
            var listed = RowsFingerprint.Resolve(versions, index);
            var memo = new StatisticsMemo(store.Store);
            if (RowsFingerprint.Predict(listed, batchSize) is { } fingerprint
                && await memo.TryReadMomentsAsync(fingerprint, listed.Length, cancellationToken) is { } moments)
            {
                var model = await memo.TryReadModelAsync(fingerprint, moments.Statistics, selection, cancellationToken);
                return new RecalledStatistics(fingerprint, moments.Bytes, moments.Statistics, model, listed, [.. listed.Select(_ => true)]) { Exact = true };
            }

            // Smaller sets save too little to be worth reading.
            var known = listed.Count(p => p is not null);
            var candidates = (await memo.ListAsync(cancellationToken))
                .Where(k => k.Rows >= 2 && k.Rows <= known && k.Rows * 4 >= known)
                .OrderByDescending(k => k.Rows).Take(CandidatesTried);
            foreach (var (kept, rows) in candidates)
            {
                if (await memo.TryReadRowsAsync(kept, rows, cancellationToken) is { } keptRows && RowsCover.Assign(listed, keptRows) is { } covered
                    && await memo.TryReadMomentsAsync(kept, rows, cancellationToken) is { } keptMoments)
                {
                    return new RecalledStatistics(kept, keptMoments.Bytes, keptMoments.Statistics, null, listed, covered);
                }
            }

            return null;
        }
        catch (Exception e) when (e is not OutOfMemoryException and not OperationCanceledException)
        {
            LogNotRead(jobId, e.Message.ReplaceLineEndings(" "));
            return null;
        }
    }

    /// <summary>
    /// Keeps the statistics of the rows named <paramref name="fingerprint"/> (when <paramref name="moments"/> is given,
    /// with the <paramref name="rows"/> they count) and their fit.
    /// </summary>
    public async Task RememberAsync(string fingerprint, byte[]? moments, IEnumerable<UInt128>? rows, PcaModel model, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        try
        {
            var (store, _) = await featureStores.OpenAsync(featureStore, Key, jobId, cancellationToken);
            var memo = new StatisticsMemo(store.Store);
            if (keptSets == 0)
            {
                await memo.EvictAsync(0, cancellationToken: cancellationToken);
                return;
            }

            // The statistics first: rows and fits are only ever looked for beside intact statistics of the same rows.
            if (moments is not null && rows is not null)
            {
                await memo.WriteMomentsAsync(fingerprint, moments, cancellationToken);
                await memo.WriteRowsAsync(fingerprint, rows, cancellationToken);
            }

            await memo.WriteModelAsync(fingerprint, model, cancellationToken);
            if (moments is not null)
            {
                var evicted = await memo.EvictAsync(keptSets, fingerprint, cancellationToken);
                if (evicted > 0)
                {
                    LogEvicted(jobId, evicted, keptSets);
                }
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException and not OperationCanceledException)
        {
            LogNotWritten(jobId, e.Message.ReplaceLineEndings(" "));
        }
    }

    /// <summary>
    /// The job's fit once its batches are featurized: <paramref name="recalled"/>'s own when the job's rows are exactly
    /// those it was kept for; else <paramref name="compute"/>'s, given the recalled statistics when they hold part of
    /// the rows. Whatever was computed is kept for the next job, in the background (<see cref="RecalledFit.Kept"/>).
    /// </summary>
    /// <param name="results">Each batch's result in this attempt, in batch order.</param>
    /// <param name="rowsKnown">Whether every row's content hash is known: no batch resumed from storage and no image failed.</param>
    /// <param name="compute">Computes the statistics and fits them, starting from the prior statistics it is given; also says whether it used them.</param>
    public async Task<RecalledFit> FitAsync(
        RecalledStatistics? recalled,
        IReadOnlyList<BatchResult?> results,
        bool rowsKnown,
        int batchSize,
        Func<(int[] Batches, MomentStatistics Statistics)?, Task<(PcaModel Model, bool PriorUsed)>> compute,
        IObjectStore output,
        PcaSelection selection,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(results);
        ArgumentNullException.ThrowIfNull(compute);
        ArgumentNullException.ThrowIfNull(output);
        var unpacked = results.Select(r => r?.RowHashes is { } packed ? RowsFingerprint.Unpack(packed) : null).ToList();
        var rows = rowsKnown ? unpacked : null;
        var fingerprint = rows is null ? null : RowsFingerprint.Of([.. rows.Select(r => r is null ? null : RowsFingerprint.OfBatch(r))]);
        var holds = recalled is not null && recalled.Holds(results, unpacked, batchSize);
        if (recalled is { Exact: true } known && holds && known.Fingerprint == fingerprint)
        {
            await output.WriteAsync(OutputLayout.Moments, known.Moments, cancellationToken);
            var model = known.Model ?? await Task.Run(() => new PcaFitter().Fit(known.Statistics, selection), cancellationToken);
            LogReused(jobId, known.Statistics.Count, known.Fingerprint, known.Model is not null);
            return new RecalledFit(model, known.Statistics.Count, known.Model is null ? RememberAsync(known.Fingerprint, null, null, model, cancellationToken) : Task.CompletedTask);
        }

        if (recalled is not null && !holds)
        {
            // The rows featurized are not those the store predicted (an image failed, or changed under its version):
            // the statistics the featurizers left out are computed again from the stored parts.
            LogNotAsExpected(jobId);
        }

        // Statistics of part of the job's rows: the featurizers added only the other rows.
        (int[] Batches, MomentStatistics Statistics)? prior = recalled is { Exact: false } part && holds
            ? (part.FullyCoveredBatches(results.Count, batchSize), part.Statistics)
            : null;
        var (fitted, priorUsed) = await compute(prior);
        if (prior is { } taken && priorUsed)
        {
            LogReused(jobId, taken.Statistics.Count, recalled!.Fingerprint, false);
        }

        var kept = fingerprint is null ? Task.CompletedTask : KeepAsync(fingerprint, output, rows!, fitted, cancellationToken);
        return new RecalledFit(fitted, prior is { } used && priorUsed ? used.Statistics.Count : 0, kept);
    }

    /// <summary>Keeps the statistics the job just stored in its output, its rows and its fit, as <see cref="RememberAsync"/> does.</summary>
    private async Task KeepAsync(string fingerprint, IObjectStore output, List<UInt128[]?> rows, PcaModel model, CancellationToken cancellationToken)
    {
        byte[] moments;
        try
        {
            moments = await output.ReadAllBytesAsync(OutputLayout.Moments, OutputMoments.MaxLength, cancellationToken);
        }
        catch (StorageException e)
        {
            LogNotWritten(jobId, e.Message.ReplaceLineEndings(" "));
            return;
        }

        await RememberAsync(fingerprint, moments, rows.SelectMany(r => r!), model, cancellationToken);
    }

    private FeatureStoreKey Key => new(modelSha256, ImagePreprocessor.Version);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: statistics of {Rows} rows ({Fingerprint}) taken from the feature store (their fit too: {FitReused})")]
    private partial void LogReused(string jobId, long rows, string fingerprint, bool fitReused);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: the rows featurized are not those the feature store predicted; computing their statistics from the stored parts")]
    private partial void LogNotAsExpected(string jobId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: no statistics read from the feature store, computing them: {Reason}")]
    private partial void LogNotRead(string jobId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: removed {Sets} older sets of statistics from the feature store, which keeps {Kept}")]
    private partial void LogEvicted(string jobId, int sets, int kept);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: statistics not kept in the feature store: {Reason}")]
    private partial void LogNotWritten(string jobId, string reason);
}
