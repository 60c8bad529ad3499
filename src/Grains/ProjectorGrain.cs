using System.Diagnostics;
using Fruits.Grains.Interfaces;
using Fruits.Pipeline.Output;
using Fruits.Pipeline.Storage;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace Fruits.Grains;

/// <summary>Phase 2: (x - mean) . components for the stored features parts of one final part, written as that part.</summary>
[StatelessWorker]
public sealed partial class ProjectorGrain(
    PcaModelCache models,
    IObjectStoreFactory stores,
    ILocalSiloDetails silo,
    ILogger<ProjectorGrain> logger) : Grain, IProjectorGrain
{
    private const int PointsPerBatch = 64;
    private const int MaxPoints = 20_000;

    public async Task<BatchResult> Project(ProjectRequest request)
    {
        using var scope = logger.BeginBatchScope(request.JobId, request.BatchIndex);
        var clock = Stopwatch.StartNew();
        var output = stores.Open(request.Output.ToPipeline());
        var projector = await models.GetProjectorAsync(request.JobId, request.Output.ToPipeline());
        var k = projector.Model.K;
        var batches = request.Batches ?? [request.BatchIndex];

        // The part's batches are read and projected in parallel; the part is written once, whole.
        var blocks = await Task.WhenAll(batches.Select(batch => Task.Run(async () =>
        {
            var table = await FeatureParts.ReadAsync(output, OutputLayout.FeaturesPart(batch));
            var projected = new float[table.Count * k];
            projector.Project(table.FeatureBlock, table.Count, projected);
            return (Table: table, Pca: projected);
        })));
        await FeatureParts.WriteProjectedAsync(output, OutputLayout.OutputPart(request.BatchIndex), blocks, k, Math.Max(1, request.RowGroupRows));

        // A few points per batch are plenty for the PC1/PC2 picture and keep the reply small.
        var points = blocks.SelectMany(b => Enumerable.Range(0, Math.Min(PointsPerBatch, b.Table.Count))
            .Select(i => new ScatterPointData(b.Pca[i * k], k > 1 ? b.Pca[(i * k) + 1] : 0f, b.Table.Labels[i])))
            .Take(MaxPoints)
            .ToList();
        var rows = blocks.Sum(b => b.Table.Count);
        LogProjected(request.JobId, request.BatchIndex, rows);
        return new BatchResult(request.BatchIndex, rows, 0, silo.SiloAddress.ToString(), clock.Elapsed.TotalSeconds, points);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Job {JobId} part {BatchIndex}: projected {Rows} rows")]
    private partial void LogProjected(string jobId, int batchIndex, int rows);
}
