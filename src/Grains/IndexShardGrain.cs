using System.Diagnostics;
using Fruits.Grains.Interfaces;
using Fruits.Pipeline.Classifying;
using Fruits.Pipeline.Output;
using Fruits.Pipeline.Storage;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace Fruits.Grains;

/// <summary>
/// Some parts of an output in memory as an <see cref="ExactIndex"/>. Loaded by the first call (whichever it is, so
/// a shard reactivated on another silo reloads itself) and then only read: reentrant, so queries do not queue
/// behind the one load.
/// </summary>
[Reentrant]
public sealed partial class IndexShardGrain(
    IObjectStoreFactory stores,
    ILocalSiloDetails silo,
    ILogger<IndexShardGrain> logger) : Grain, IIndexShardGrain
{
    private Task<ExactIndex>? _loading;

    public async Task<IndexShardSummary> Load(IndexShardSpec spec)
    {
        var index = await IndexAsync(spec);
        return new IndexShardSummary(index.Count, index.Dimension, index.BytesPerRow(), index.Labels, silo.SiloAddress.ToString());
    }

    public async Task<IReadOnlyList<NearestImage>> Search(IndexShardSpec spec, float[] query, int count)
    {
        var index = await IndexAsync(spec);
        var nearest = index.SearchRows(query, count);
        var found = new NearestImage[nearest.Count];
        for (var i = 0; i < found.Length; i++)
        {
            var row = index.Row(nearest.RowAt(i));
            found[i] = new NearestImage(row.Path, row.Label, MathF.Sqrt(nearest.DistanceAt(i)));
        }

        return found;
    }

    public async Task<bool> Contains(IndexShardSpec spec, string path) => (await IndexAsync(spec)).Contains(path);

    public Task Unload()
    {
        _loading = null;
        DeactivateOnIdle();
        return Task.CompletedTask;
    }

    private Task<ExactIndex> IndexAsync(IndexShardSpec spec)
    {
        var loading = _loading;
        if (loading is null || loading.IsFaulted || loading.IsCanceled)
        {
            _loading = loading = LoadAsync(spec);
        }

        return loading;
    }

    private async Task<ExactIndex> LoadAsync(IndexShardSpec spec)
    {
        var clock = Stopwatch.StartNew();
        var store = stores.Open(StorageLocation.Parse(spec.Output));
        var labels = new List<string>();
        var paths = new List<string>();
        var blocks = new List<FeatureTable>();
        var dimension = 0;
        foreach (var part in spec.Parts)
        {
            // The index needs each row's projection, path and label, not its 1,280 features: only those columns are read.
            var table = await FeatureParts.ReadProjectionsAsync(store, part);
            if (table.Count == 0)
            {
                continue;
            }

            if (dimension != 0 && table.Dimension != dimension)
            {
                throw new InvalidDataException($"{spec.Output}: {part} has {table.Dimension} PCA features a row, other parts {dimension}");
            }

            dimension = table.Dimension;
            blocks.Add(table);
            labels.AddRange(table.Labels);
            paths.AddRange(table.Paths);
        }

        dimension = Math.Max(dimension, 1);
        var rows = new float[paths.Count * dimension];
        var at = 0;
        foreach (var block in blocks)
        {
            block.FeatureBlock.CopyTo(rows.AsSpan(at));
            at += block.FeatureBlock.Length;
        }

        var index = new ExactIndex(dimension, rows, labels, paths);
        LogLoaded(spec.Output, this.GetPrimaryKeyString(), index.Count, spec.Parts.Count, clock.Elapsed.TotalSeconds);
        return index;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Index shard {Shard} of {Output}: {Rows} rows from {Parts} parts in {Seconds:F2}s")]
    private partial void LogLoaded(string output, string shard, int rows, int parts, double seconds);
}
