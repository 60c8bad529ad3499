using Fruits.Pipeline.Imaging;
using Fruits.Pipeline.Reuse;
using Fruits.Pipeline.Statistics;
using Fruits.Pipeline.Storage;
using Microsoft.Extensions.Logging;

namespace Fruits.Grains;

/// <summary>
/// The statistics stage's shortcut through the feature store (<see cref="StatisticsMemo"/>): before a job featurizes,
/// it predicts the job's <see cref="RowsFingerprint"/> from the listing and the store's index, and finds the
/// statistics and fit an earlier job computed from those very rows; after a job fits, it keeps them there for the
/// next. Never fails a job: a store it cannot read or write only costs the job the computation.
/// </summary>
public sealed partial class StatisticsRecall(FeatureStoreCache featureStores, StorageLocation featureStore, string modelSha256, string jobId, ILogger logger)
{
    /// <summary>
    /// What an earlier job computed from the rows this job expects, listed as <paramref name="versions"/> and cut into
    /// batches of <paramref name="batchSize"/>; null when some image is not in the store by its version, or nothing
    /// is kept for those rows.
    /// </summary>
    public async Task<RecalledStatistics?> FindAsync(IReadOnlyList<UInt128?> versions, int batchSize, PcaSelection selection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(versions);
        try
        {
            var (store, index) = await featureStores.OpenAsync(featureStore, Key, jobId, cancellationToken);
            if (RowsFingerprint.Predict(versions, batchSize, index) is not { } fingerprint)
            {
                return null;
            }

            var memo = new StatisticsMemo(store.Store);
            if (await memo.TryReadMomentsAsync(fingerprint, versions.Count, cancellationToken) is not { } moments)
            {
                return null;
            }

            var model = await memo.TryReadModelAsync(fingerprint, moments.Statistics, selection, cancellationToken);
            return new RecalledStatistics(fingerprint, moments.Bytes, moments.Statistics, model);
        }
        catch (Exception e) when (e is not OutOfMemoryException and not OperationCanceledException)
        {
            LogNotRead(jobId, e.Message.ReplaceLineEndings(" "));
            return null;
        }
    }

    /// <summary>Keeps the statistics (when <paramref name="moments"/> is given) and the fit of the rows named <paramref name="fingerprint"/>.</summary>
    public async Task RememberAsync(string fingerprint, byte[]? moments, PcaModel model, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        try
        {
            var (store, _) = await featureStores.OpenAsync(featureStore, Key, jobId, cancellationToken);
            var memo = new StatisticsMemo(store.Store);

            // The statistics first: a fit is only ever looked for beside intact statistics of the same rows.
            if (moments is not null)
            {
                await memo.WriteMomentsAsync(fingerprint, moments, cancellationToken);
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
