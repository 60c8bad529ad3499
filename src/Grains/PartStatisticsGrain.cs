using System.Diagnostics;
using Fruits.Pipeline.Output;
using Fruits.Pipeline.Statistics;
using Fruits.Pipeline.Storage;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace Fruits.Grains;

[StatelessWorker]
public sealed class PartStatisticsGrain(IObjectStoreFactory stores, ILocalSiloDetails silo, ILogger<PartStatisticsGrain> logger) : Grain, IPartStatisticsGrain
{
    public async Task<BatchOutcome> Restate(RestateRequest request)
    {
        using var scope = logger.BeginBatchScope(request.JobId, request.BatchIndex);
        var clock = Stopwatch.StartNew();
        var output = stores.Open(request.Output);
        var rows = await ParquetParts.ReadAsync<FeatureRow>(output, OutputLayout.FeaturesPart(request.BatchIndex));
        var failed = await output.ExistsAsync(OutputLayout.ErrorsPart(request.BatchIndex))
            ? (await ParquetParts.ReadAsync<ErrorRow>(output, OutputLayout.ErrorsPart(request.BatchIndex))).Count
            : 0;

        var dimension = rows.Count > 0 ? rows[0].Features.Length : 1280;
        var block = new float[rows.Count * dimension];
        for (var i = 0; i < rows.Count; i++)
        {
            rows[i].Features.CopyTo(block, i * dimension);
        }

        var statistics = rows.Count > 0 ? MomentStatistics.FromRows(block, rows.Count, dimension) : MomentStatistics.Empty(dimension);
        await GrainFactory.GetGrain<IPcaAggregatorGrain>(request.JobId).Merge(request.BatchIndex, statistics);
        logger.LogDebug("Job {JobId} batch {BatchIndex}: statistics rebuilt from {Rows} stored rows", request.JobId, request.BatchIndex, rows.Count);
        return new BatchOutcome(request.BatchIndex, rows.Count, failed, silo.SiloAddress.ToString(), clock.Elapsed.TotalSeconds);
    }
}
