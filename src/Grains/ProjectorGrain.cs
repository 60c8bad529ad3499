using System.Diagnostics;
using Fruits.Grains.Interfaces;
using Fruits.Pipeline.Output;
using Fruits.Pipeline.Storage;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace Fruits.Grains;

/// <summary>Phase 2: (x - mean) . components for one stored features part, written as the final part.</summary>
[StatelessWorker]
public sealed partial class ProjectorGrain(
    PcaModelCache models,
    IObjectStoreFactory stores,
    ILocalSiloDetails silo,
    ILogger<ProjectorGrain> logger) : Grain, IProjectorGrain
{
    private const int PointsPerBatch = 64;

    public async Task<BatchResult> Project(ProjectRequest request)
    {
        using var scope = logger.BeginBatchScope(request.JobId, request.BatchIndex);
        var clock = Stopwatch.StartNew();
        var output = stores.Open(request.Output.ToPipeline());
        var projector = await models.GetProjectorAsync(request.JobId, request.Output.ToPipeline());
        var table = await FeatureParts.ReadAsync(output, OutputLayout.FeaturesPart(request.BatchIndex));
        var k = projector.Model.K;
        var projected = new float[table.Count * k];
        projector.Project(table.FeatureBlock, table.Count, projected);
        await FeatureParts.WriteProjectedAsync(output, OutputLayout.OutputPart(request.BatchIndex), table, projected, k);

        // A few points per batch are plenty for the PC1/PC2 picture and keep the reply small.
        var points = Enumerable.Range(0, Math.Min(PointsPerBatch, table.Count))
            .Select(i => new ScatterPointData(projected[i * k], k > 1 ? projected[(i * k) + 1] : 0f, table.Labels[i]))
            .ToList();
        LogProjected(request.JobId, request.BatchIndex, table.Count);
        return new BatchResult(request.BatchIndex, table.Count, 0, silo.SiloAddress.ToString(), clock.Elapsed.TotalSeconds, points);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Job {JobId} batch {BatchIndex}: projected {Rows} rows")]
    private partial void LogProjected(string jobId, int batchIndex, int rows);
}
