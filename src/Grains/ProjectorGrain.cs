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

/// <summary>Phase 2: (x - mean) . components for the stored features parts of one final part, written as that part.</summary>
[StatelessWorker]
public sealed partial class ProjectorGrain(
    PcaModelCache models,
    ProjectionFeatureCache featureCache,
    IObjectStoreFactory stores,
    ILocalSiloDetails silo,
    ILogger<ProjectorGrain> logger) : Grain, IProjectorGrain
{
    private const int PointsPerBatch = 64;
    private const int MaxPoints = 20_000;

    // Batches read and projected ahead of the one being written: enough to keep every core busy while a row
    // group is encoded, a few megabytes in all.
    private const int ReadAhead = 16;

    private readonly BatchFeatureReader _features = new(stores);

    public async Task<BatchResult> Project(ProjectRequest request)
    {
        using var scope = logger.BeginBatchScope(request.JobId, request.BatchIndex);
        var clock = Stopwatch.StartNew();
        var output = stores.Open(request.Output.ToPipeline());
        var projector = await models.GetProjectorAsync(request.JobId, request.Output.ToPipeline());
        var k = projector.Model.K;
        var batches = request.Batches ?? [request.BatchIndex];
        var attempts = request.Attempts is { } accepted && accepted.Count == batches.Count ? accepted : null;

        // The part's batches are read and projected a few at a time ahead of the writer, which streams each row
        // group to storage as soon as it is cut: a part's memory is a row group and the read-ahead, not the part.
        var points = new List<ScatterPointData>();
        var rows = 0;
        await FeatureParts.WriteProjectedAsync(output, OutputLayout.OutputPart(request.BatchIndex), ProjectInOrderAsync(output, projector, batches, attempts), k, Math.Max(1, request.RowGroupRows));
        LogProjected(request.JobId, request.BatchIndex, rows);
        return new BatchResult(request.BatchIndex, rows, 0, silo.SiloAddress.ToString(), clock.Elapsed.TotalSeconds, points);

        async IAsyncEnumerable<(FeatureTable Table, float[] Pca)> ProjectInOrderAsync(IObjectStore store, PcaProjector model, IReadOnlyList<int> parts, IReadOnlyList<Guid>? calls)
        {
            var pending = new Queue<Task<(FeatureTable Table, float[] Pca)>>();
            var next = 0;
            try
            {
                while (next < parts.Count || pending.Count > 0)
                {
                    while (next < parts.Count && pending.Count < ReadAhead)
                    {
                        var batch = parts[next];
                        var call = calls?[next] ?? Guid.Empty;
                        next++;
                        pending.Enqueue(Task.Run(() => ReadAndProjectAsync(store, model, request.JobId, batch, call)));
                    }

                    var block = await pending.Dequeue();

                    // A few points per batch are plenty for the PC1/PC2 picture and keep the reply small.
                    for (var i = 0; i < Math.Min(PointsPerBatch, block.Table.Count) && points.Count < MaxPoints; i++)
                    {
                        points.Add(new ScatterPointData(block.Pca[i * k], k > 1 ? block.Pca[(i * k) + 1] : 0f, block.Table.Labels[i]));
                    }

                    rows += block.Table.Count;
                    yield return block;
                }
            }
            finally
            {
                // A writer that failed stops asking; the reads already started are let finish, not left unobserved.
                while (pending.TryDequeue(out var abandoned))
                {
                    await abandoned.ContinueWith(t => t.Exception, TaskScheduler.Default);
                }
            }
        }
    }

    private async Task<(FeatureTable Table, float[] Pca)> ReadAndProjectAsync(IObjectStore store, PcaProjector projector, string jobId, int batch, Guid call)
    {
        // The features the accepted featurize call kept on this silo are those its parts hold; any other batch is read.
        if (!featureCache.TryTake(jobId, batch, call, out var table))
        {
            (table, _) = await _features.ReadAsync(store, batch, OnnxFeaturizer.FeatureLength);
        }

        var projected = new float[table.Count * projector.Model.K];
        projector.Project(table.FeatureBlock, table.Count, projected);
        return (table, projected);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Job {JobId} part {BatchIndex}: projected {Rows} rows")]
    private partial void LogProjected(string jobId, int batchIndex, int rows);
}
