using Fruits.Grains.Interfaces;
using Fruits.Pipeline.Statistics;
using Microsoft.Extensions.Logging;

namespace Fruits.Grains;

/// <summary>
/// The statistics stage of a job: gathers each silo's pre-merged partial into the job's aggregator, rebuilds
/// from the stored parts whatever a lost silo took with it (and every resumed batch), checks that the merged
/// count is exactly the images featurized, fits the PCA and keeps the statistics in the output for a refit.
/// </summary>
public sealed partial class JobStatistics(IGrainFactory grains, BatchDispatcher dispatcher, string jobId, StorageLocationData output, ILogger logger)
{
    private static readonly TimeSpan TakeTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Whether the last fit counted the prior statistics it was given (false when it had to rebuild without them).</summary>
    public bool PriorUsed { get; private set; }

    /// <param name="featurized">This attempt's accepted batches, each with the silo router whose result was taken.</param>
    /// <param name="withRows">Every batch with at least one featurized image: these, and only these, must be merged.</param>
    /// <param name="images">Images featurized over all batches: what the merged statistics must count.</param>
    /// <param name="prior">
    /// Statistics of some of the rows, which the featurizers did not add: they count as the merge of
    /// <c>Batches</c> (the batches whose rows they hold whole). They are dropped, with every partial, when the merged
    /// count is not the images featurized.
    /// </param>
    public async Task<PcaModel> FitAsync(IEnumerable<(int Batch, string Silo)> featurized, IReadOnlyList<int> withRows, long images, PcaSelectionData selection, CancellationToken stop, (int[] Batches, MomentStatistics Statistics)? prior = null)
    {
        var aggregator = grains.GetGrain<IPcaAggregatorGrain>(jobId);
        await aggregator.Reset();
        if (prior is { } taken)
        {
            PriorUsed = await aggregator.Merge(taken.Batches, taken.Statistics.ToContract());
        }

        await MergeSiloPartialsAsync(aggregator, featurized);
        await RebuildMissingAsync(aggregator, withRows, stop);

        var merged = await aggregator.GetMerged();
        if (merged.Images != images)
        {
            // The aggregator lost merges with its silo, or a partial was wrong: the stored parts are the truth.
            LogRebuilding(jobId, merged.Images, images);
            PriorUsed = false;
            await aggregator.Reset();
            await RebuildMissingAsync(aggregator, withRows, stop);
            merged = await aggregator.GetMerged();
            if (merged.Images != images)
            {
                throw new InvalidOperationException($"statistics count {merged.Images} images, but {images} were featurized; refusing to fit");
            }
        }

        var model = (await aggregator.Fit(selection)).ToPipeline();
        await aggregator.SaveMoments(output);
        return model;
    }

    /// <summary>
    /// Each silo's partial is merged only when every batch it covers is one the job accepted from that silo; a partial
    /// with a batch that was accepted from elsewhere (run twice after a lost reply) would count it twice, so its
    /// batches are rebuilt from their parts instead.
    /// </summary>
    private async Task MergeSiloPartialsAsync(IPcaAggregatorGrain aggregator, IEnumerable<(int Batch, string Silo)> featurized)
    {
        var bySilo = featurized.GroupBy(f => f.Silo, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(f => f.Batch).ToHashSet(), StringComparer.Ordinal);
        foreach (var (silo, accepted) in bySilo)
        {
            SiloStatistics partial;
            try
            {
                partial = await grains.GetGrain<ISiloRouterGrain>(silo).TakeStatistics(jobId).WaitAsync(TakeTimeout);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogPartialLost(jobId, silo, e.Message.ReplaceLineEndings(" "));
                continue;
            }

            if (partial.Statistics is null || partial.Batches.Count == 0)
            {
                continue;
            }

            if (partial.Batches.All(accepted.Contains))
            {
                await aggregator.Merge(partial.Batches.ToArray(), partial.Statistics);
            }
            else
            {
                LogPartialRefused(jobId, silo);
            }
        }
    }

    private async Task RebuildMissingAsync(IPcaAggregatorGrain aggregator, IReadOnlyList<int> withRows, CancellationToken stop)
    {
        var merged = (await aggregator.GetMerged()).Batches.ToHashSet();
        var missing = withRows.Where(b => !merged.Contains(b)).ToList();
        if (missing.Count == 0)
        {
            return;
        }

        LogRebuildingMissing(jobId, missing.Count);
        await dispatcher.RunAsync(missing, (worker, batch) => worker.RebuildStatistics(new RebuildStatisticsRequest(jobId, batch, output)), (_, _) => Task.CompletedTask, stop);
        stop.ThrowIfCancellationRequested();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: merged statistics count {Merged} images, {Expected} were featurized; rebuilding them from the stored parts")]
    private partial void LogRebuilding(string jobId, long merged, long expected);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: the statistics held by {Silo} are lost ({Reason}); its batches are rebuilt from their parts")]
    private partial void LogPartialLost(string jobId, string silo, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: the partial of {Silo} covers a batch accepted from another silo; its batches are rebuilt from their parts")]
    private partial void LogPartialRefused(string jobId, string silo);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: rebuilding the statistics of {Batches} batches from their stored parts")]
    private partial void LogRebuildingMissing(string jobId, int batches);
}
