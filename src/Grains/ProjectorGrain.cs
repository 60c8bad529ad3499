using System.Diagnostics;
using Fruits.Pipeline.Output;
using Fruits.Pipeline.Plots;
using Fruits.Pipeline.Storage;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace Fruits.Grains;

/// <summary>Phase 2: (x - mean) . components for one stored features part, written as the final part.</summary>
[StatelessWorker]
public sealed class ProjectorGrain(
    PcaModelCache models,
    IObjectStoreFactory stores,
    ILocalSiloDetails silo,
    ILogger<ProjectorGrain> logger) : Grain, IProjectorGrain
{
    private const int PointsPerBatch = 64;

    public async Task<BatchOutcome> Project(ProjectRequest request)
    {
        using var scope = logger.BeginBatchScope(request.JobId, request.BatchIndex);
        var clock = Stopwatch.StartNew();
        var output = stores.Open(request.Output);
        var projector = await models.GetProjectorAsync(request.JobId, request.Output);
        var rows = await ParquetParts.ReadAsync<FeatureRow>(output, OutputLayout.FeaturesPart(request.BatchIndex));

        var dimension = projector.Model.Dimension;
        var k = projector.Model.K;
        var block = new float[rows.Count * dimension];
        for (var i = 0; i < rows.Count; i++)
        {
            rows[i].Features.CopyTo(block, i * dimension);
        }

        var projected = new float[rows.Count * k];
        projector.Project(block, rows.Count, projected);

        var result = new List<OutputRow>(rows.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            result.Add(new OutputRow
            {
                Path = rows[i].Path,
                Label = rows[i].Label,
                Features = rows[i].Features,
                PcaFeatures = projected.AsSpan(i * k, k).ToArray(),
            });
        }

        await ParquetParts.WriteAsync(output, OutputLayout.OutputPart(request.BatchIndex), result);

        // A few points per batch are plenty for the PC1/PC2 picture and keep the reply small.
        var points = result.Take(PointsPerBatch)
            .Select(r => new ScatterPoint(r.PcaFeatures[0], r.PcaFeatures.Length > 1 ? r.PcaFeatures[1] : 0f, r.Label))
            .ToList();
        logger.LogDebug("Job {JobId} batch {BatchIndex}: projected {Rows} rows", request.JobId, request.BatchIndex, rows.Count);
        return new BatchOutcome(request.BatchIndex, rows.Count, 0, silo.SiloAddress.ToString(), clock.Elapsed.TotalSeconds, points);
    }
}
