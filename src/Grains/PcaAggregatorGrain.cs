using Fruits.Grains.Interfaces;
using Fruits.Pipeline.Output;
using Fruits.Pipeline.Statistics;
using Fruits.Pipeline.Storage;
using Microsoft.Extensions.Logging;

namespace Fruits.Grains;

/// <summary>
/// Holds the job's merged statistics. Each batch id is merged at most once, so a batch re-run after a
/// timeout or a silo failure is never counted twice. Its memory is a cache of the stored parts: the job checks
/// the merged count before fitting and rebuilds from the parts when this grain was lost with its silo.
/// </summary>
public sealed partial class PcaAggregatorGrain(IObjectStoreFactory stores, ILogger<PcaAggregatorGrain> logger) : Grain, IPcaAggregatorGrain
{
    private readonly HashSet<int> _merged = [];
    private MomentAccumulator? _statistics;

    public Task<bool> Merge(int[] batches, MomentStatisticsData statistics)
    {
        if (batches.Any(_merged.Contains))
        {
            LogRefused(this.GetPrimaryKeyString(), batches.Length);
            return Task.FromResult(false);
        }

        // In place: a job merges many 6.5 MB partials, which must not each allocate a new one.
        (_statistics ??= new MomentAccumulator(statistics.Dimension)).Add(statistics.ToPipeline());
        _merged.UnionWith(batches);
        return Task.FromResult(true);
    }

    public Task<MergedBatches> GetMerged() => Task.FromResult(new MergedBatches(_merged.Order().ToArray(), _statistics?.Count ?? 0));

    public Task Reset()
    {
        _merged.Clear();
        _statistics = null;
        return Task.CompletedTask;
    }

    public Task<PcaModelData> Fit(PcaSelectionData selection)
    {
        if (_statistics is null || _statistics.Count < 2)
        {
            throw new InvalidOperationException($"PCA needs at least 2 featurized images, got {_statistics?.Count ?? 0}");
        }

        return Task.FromResult(new PcaFitter().Fit(_statistics.ToStatistics(), selection.ToPipeline()).ToContract());
    }

    public Task SaveMoments(StorageLocationData output)
    {
        ArgumentNullException.ThrowIfNull(output);
        return _statistics is null
            ? throw new InvalidOperationException("No statistics are merged to save")
            : OutputMoments.WriteAsync(stores.Open(output.ToPipeline()), _statistics.ToStatistics());
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: a partial of {Batches} batches overlaps what is merged; refused")]
    private partial void LogRefused(string jobId, int batches);
}
