using Fruits.Pipeline.Imaging;
using Fruits.Pipeline.Reuse;
using Fruits.Pipeline.Statistics;
using Fruits.Pipeline.Storage;
using Microsoft.Extensions.Logging;

namespace Fruits.Grains;

/// <summary>
/// The statistics stage's shortcut through the feature store (<see cref="StatisticsMemo"/>): before a job featurizes,
/// it predicts the job's rows from the listing and the store's index, and finds the statistics (and fit) an earlier
/// job computed from those very rows, or else from the most of them; after a job fits, it keeps them there for the
/// next. Never fails a job: a store it cannot read or write only costs the job the computation.
/// </summary>
public sealed partial class StatisticsRecall(FeatureStoreCache featureStores, StorageLocation featureStore, string modelSha256, string jobId, ILogger logger)
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

            // The statistics first: rows and fits are only ever looked for beside intact statistics of the same rows.
            if (moments is not null && rows is not null)
            {
                await memo.WriteMomentsAsync(fingerprint, moments, cancellationToken);
                await memo.WriteRowsAsync(fingerprint, rows, cancellationToken);
            }

            await memo.WriteModelAsync(fingerprint, model, cancellationToken);
        }
        catch (Exception e) when (e is not OutOfMemoryException and not OperationCanceledException)
        {
            LogNotWritten(jobId, e.Message.ReplaceLineEndings(" "));
        }
    }

    private FeatureStoreKey Key => new(modelSha256, ImagePreprocessor.Version);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: no statistics read from the feature store, computing them: {Reason}")]
    private partial void LogNotRead(string jobId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: statistics not kept in the feature store: {Reason}")]
    private partial void LogNotWritten(string jobId, string reason);
}
