using System.Globalization;
using Fruits.Grains.Interfaces;
using Fruits.Pipeline.Classifying;
using Fruits.Pipeline.Output;
using Fruits.Pipeline.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace Fruits.Grains;

/// <summary>
/// Splits a finished output's parts into shards of at most <see cref="ClassifyOptions.RowsPerShard"/> rows, loads
/// them and answers queries by asking every shard and merging. Reentrant: queries wait on shards concurrently.
/// </summary>
[Reentrant]
public sealed partial class OutputIndexGrain(
    IObjectStoreFactory stores,
    IOptions<ClassifyOptions> options,
    ILogger<OutputIndexGrain> logger) : Grain, IOutputIndexGrain
{
    private Task<Loaded>? _loading;
    private DateTime _checkedUtc;

    public async Task<IndexSummary> Open()
    {
        var loaded = await LoadedAsync();
        return loaded.Summary;
    }

    public async Task<IReadOnlyList<NearestImage>> Search(float[] query, int count)
    {
        var loaded = await LoadedAsync();
        if (!loaded.Summary.Found)
        {
            throw new InvalidOperationException(loaded.Summary.Problem);
        }

        IReadOnlyList<NearestImage>[] answers;
        if (loaded.Shards.Count == 1)
        {
            // The common case of one shard: its answer is the merge's whenever its ties are already in path order.
            var only = await AskAsync(loaded.Shards[0], shard => shard.Grain.Search(shard.Spec, query, count));
            if (InMergeOrder(only))
            {
                return only;
            }

            answers = [only];
        }
        else
        {
            answers = await Task.WhenAll(loaded.Shards.Select(s => AskAsync(s, shard => shard.Grain.Search(shard.Spec, query, count))));
        }

        return NearestMerge.Merge(answers.Select(a => a.Select(n => new NearestRow(n.Path, n.Label, n.Distance)).ToList()), count)
            .Select(n => new NearestImage(n.Path, n.Label, n.Distance))
            .ToList();
    }

    public async Task<bool> Contains(string path)
    {
        var loaded = await LoadedAsync();
        if (!loaded.Summary.Found)
        {
            return false;
        }

        var answers = await Task.WhenAll(loaded.Shards.Select(s => AskAsync(s, shard => shard.Grain.Contains(shard.Spec, path))));
        return answers.Any(a => a);
    }

    /// <summary>
    /// A shard whose silo died answers with an error once; asked again it activates on a live silo and reloads its
    /// parts from storage.
    /// </summary>
    private async Task<T> AskAsync<T>(Shard shard, Func<Shard, Task<T>> ask)
    {
        try
        {
            return await ask(shard);
        }
        catch (Exception e) when (e is SiloUnavailableException or OrleansMessageRejectionException or TimeoutException)
        {
            LogShardRetried(this.GetPrimaryKeyString(), shard.Key, e.GetType().Name);
            return await ask(shard);
        }
    }

    private async Task<Loaded> LoadedAsync()
    {
        var loading = _loading;
        if (loading is null || (loading.IsCompleted && (!loading.IsCompletedSuccessfully || !loading.Result.Summary.Found)))
        {
            // A missing or unfinished output may be finished by the next request: only a loaded index is kept.
            _loading = loading = LoadAsync();
            _checkedUtc = DateTime.UtcNow;
            return await loading;
        }

        if (!loading.IsCompleted || DateTime.UtcNow - _checkedUtc < options.Value.RecheckInterval)
        {
            return await loading;
        }

        // A job re-run over the same output (--overwrite) replaces its rows: one metadata read now and then
        // notices, instead of serving the old rows until the grain is deactivated.
        _checkedUtc = DateTime.UtcNow;
        var loaded = loading.Result;
        string? generation;
        try
        {
            generation = await GenerationAsync(stores.Open(StorageLocation.Parse(this.GetPrimaryKeyString())));
        }
        catch (StorageException e) when (e.IsTransient)
        {
            return loaded;
        }

        if (generation == loaded.Generation)
        {
            return loaded;
        }

        if (_loading == loading)
        {
            LogReloading(this.GetPrimaryKeyString());
            _loading = LoadAsync();
            foreach (var shard in loaded.Shards)
            {
                try
                {
                    await shard.Grain.Unload();
                }
                catch (Exception e) when (e is SiloUnavailableException or OrleansMessageRejectionException or TimeoutException)
                {
                    // Its silo is gone, and its rows with it.
                }
            }
        }

        return await _loading!;
    }

    /// <summary>Whether the rows are ordered as <see cref="NearestMerge"/> orders them: by distance, ties by path.</summary>
    private static bool InMergeOrder(IReadOnlyList<NearestImage> rows)
    {
        for (var i = 1; i < rows.Count; i++)
        {
            var (previous, next) = (rows[i - 1], rows[i]);
            if (previous.Distance > next.Distance || (previous.Distance == next.Distance && string.CompareOrdinal(previous.Path, next.Path) > 0))
            {
                return false;
            }
        }

        return true;
    }

    private static async Task<string?> GenerationAsync(IObjectStore store)
    {
        var success = await store.TryGetInfoAsync(OutputLayout.Success);
        return success is { } info ? info.Version ?? info.Size.ToString(CultureInfo.InvariantCulture) : null;
    }

    private async Task<Loaded> LoadAsync()
    {
        var uri = this.GetPrimaryKeyString();
        var location = StorageLocation.Parse(uri);
        var store = stores.Open(location);
        IReadOnlyList<string> parts;
        string generation;
        try
        {
            parts = await new OutputReader(store).PartsAsync();
            if (await store.TryGetInfoAsync(OutputLayout.PcaModel) is null)
            {
                return Missing(uri, $"{store.Root} holds no finished job (no {OutputLayout.PcaModel})");
            }

            generation = await GenerationAsync(store) ?? "0";
        }
        catch (StorageException e) when (!e.IsTransient)
        {
            return Missing(uri, e.Message.ReplaceLineEndings(" "));
        }

        if (parts.Count == 0)
        {
            return Missing(uri, $"{store.Root} holds a finished job without rows");
        }

        var shards = new List<Shard>();
        var current = new List<string>();
        long rows = 0;
        foreach (var part in parts)
        {
            var count = await ParquetParts.TryReadRowCountAsync(store, part) ?? 0;
            if (current.Count > 0 && rows + count > options.Value.RowsPerShard)
            {
                shards.Add(NewShard(uri, generation, shards.Count, current));
                current = [];
                rows = 0;
            }

            current.Add(part);
            rows += count;
        }

        shards.Add(NewShard(uri, generation, shards.Count, current));
        var summaries = await Task.WhenAll(shards.Select(s => AskAsync(s, shard => shard.Grain.Load(shard.Spec))));
        var total = summaries.Sum(s => (long)s.Rows);
        var dimensions = summaries.Max(s => s.Dimensions);
        var bytesPerRow = total == 0 ? 0 : summaries.Sum(s => s.BytesPerRow * s.Rows) / total;
        var labels = summaries.SelectMany(s => s.Labels).Distinct(StringComparer.Ordinal).Count();
        LogLoaded(uri, total, dimensions, shards.Count, bytesPerRow, string.Join(", ", summaries.Select(s => s.Silo).Distinct()));
        return new Loaded(new IndexSummary(uri, null, total, dimensions, shards.Count, bytesPerRow, labels), shards, generation);
    }

    private Shard NewShard(string uri, string generation, int index, List<string> parts)
    {
        var key = $"{uri}|{generation}|{index}";
        return new Shard(key, GrainFactory.GetGrain<IIndexShardGrain>(key), new IndexShardSpec(uri, parts));
    }

    private Loaded Missing(string uri, string problem)
    {
        LogMissing(uri, problem);
        return new Loaded(new IndexSummary(uri, problem, 0, 0, 0, 0, 0), [], null);
    }

    private sealed record Shard(string Key, IIndexShardGrain Grain, IndexShardSpec Spec);

    private sealed record Loaded(IndexSummary Summary, IReadOnlyList<Shard> Shards, string? Generation);

    [LoggerMessage(Level = LogLevel.Information, Message = "Index of {Output}: {Rows} rows of {Dimensions} dimensions in {Shards} shards, {BytesPerRow:F0} bytes a row, on {Silos}")]
    private partial void LogLoaded(string output, long rows, int dimensions, int shards, double bytesPerRow, string silos);

    [LoggerMessage(Level = LogLevel.Information, Message = "Index of {Output}: the output was rewritten, reloading")]
    private partial void LogReloading(string output);

    [LoggerMessage(Level = LogLevel.Information, Message = "No index of {Output}: {Problem}")]
    private partial void LogMissing(string output, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Index of {Output}: shard {Shard} asked again after {Error}")]
    private partial void LogShardRetried(string output, string shard, string error);
}
