using System.Diagnostics;
using Fruits.Grains.Interfaces;
using Fruits.Pipeline.Featurizing;
using Fruits.Pipeline.Output;
using Fruits.Pipeline.Reuse;
using Fruits.Pipeline.Statistics;
using Fruits.Pipeline.Storage;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace Fruits.Grains;

[StatelessWorker]
public sealed partial class PartStatisticsGrain(IObjectStoreFactory stores, ILocalSiloDetails silo, ILogger<PartStatisticsGrain> logger) : Grain, IPartStatisticsGrain
{
    private readonly BatchFeatureReader _features = new(stores);

    public async Task<BatchResult> RebuildStatistics(RebuildStatisticsRequest request)
    {
        using var scope = logger.BeginBatchScope(request.JobId, request.BatchIndex);
        var clock = Stopwatch.StartNew();
        var output = stores.Open(request.Output.ToPipeline());
        var (table, commit) = await _features.ReadAsync(output, request.BatchIndex, OnnxFeaturizer.FeatureLength);

        // The commit in the part's footer counts the failures; parts written before commits were recorded need the errors part.
        var failed = commit?.Failed
            ?? (await output.ExistsAsync(OutputLayout.ErrorsPart(request.BatchIndex))
                ? (await ParquetParts.ReadAsync<ErrorRow>(output, OutputLayout.ErrorsPart(request.BatchIndex))).Count
                : 0);

        var statistics = table.Count > 0
            ? MomentStatistics.FromRows(table.FeatureBlock, table.Count, table.Dimension)
            : MomentStatistics.Empty(OnnxFeaturizer.FeatureLength);
        await GrainFactory.GetGrain<IPcaAggregatorGrain>(request.JobId).Merge([request.BatchIndex], statistics.ToContract());
        LogRebuilt(request.JobId, request.BatchIndex, table.Count);
        return new BatchResult(request.BatchIndex, table.Count, failed, silo.SiloAddress.ToString(), clock.Elapsed.TotalSeconds);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Job {JobId} batch {BatchIndex}: statistics rebuilt from {Rows} stored rows")]
    private partial void LogRebuilt(string jobId, int batchIndex, int rows);
}
