using Fruits.Pipeline.Statistics;
using Microsoft.Extensions.Logging;

namespace Fruits.Grains;

/// <summary>
/// Holds the job's merged statistics. Merges are idempotent per batch id, so a batch re-run after a
/// timeout or a silo failure is never counted twice.
/// </summary>
public sealed class PcaAggregatorGrain(ILogger<PcaAggregatorGrain> logger) : Grain, IPcaAggregatorGrain
{
    private readonly HashSet<int> _merged = [];
    private MomentAccumulator? _statistics;
    private PcaModel? _model;

    public Task<bool> Merge(int batchIndex, MomentStatistics statistics)
    {
        if (!_merged.Add(batchIndex))
        {
            using var scope = logger.BeginBatchScope(this.GetPrimaryKeyString(), batchIndex);
            logger.LogInformation("Job {JobId}: batch {BatchIndex} already merged, ignoring the repeat", this.GetPrimaryKeyString(), batchIndex);
            return Task.FromResult(false);
        }

        // In place: a job merges hundreds of 6.5 MB partials, which must not each allocate a new one.
        (_statistics ??= new MomentAccumulator(statistics.Dimension)).Add(statistics);
        _model = null;
        return Task.FromResult(true);
    }

    public Task<int[]> MergedBatches() => Task.FromResult(_merged.Order().ToArray());

    public Task<PcaModel> Fit(PcaSelection selection)
    {
        if (_statistics is null || _statistics.Count < 2)
        {
            throw new InvalidOperationException($"PCA needs at least 2 featurized images, got {_statistics?.Count ?? 0}");
        }

        _model = new PcaFitter().Fit(_statistics.ToStatistics(), selection);
        return Task.FromResult(_model);
    }

    public Task<PcaModel?> GetModel() => Task.FromResult(_model);
}
