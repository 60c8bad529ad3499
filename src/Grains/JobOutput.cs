using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Fruits.Grains.Interfaces;
using Fruits.Pipeline.Listing;
using Fruits.Pipeline.Output;
using Fruits.Pipeline.Reuse;
using Fruits.Pipeline.Storage;

namespace Fruits.Grains;

/// <summary>
/// Every key a job reads or writes in its output store, and the rules about them: what is ours to delete,
/// which stored batches a resumed job can trust, how the listing is cut into batch manifests.
/// </summary>
public sealed class JobOutput(IObjectStore store)
{
    private const int ManifestsPerWrite = 32;
    private const int ManifestsInFlight = 16;
    private const int DeletesInFlight = 16;
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Files a finished job writes at the output's top level under fixed names.</summary>
    private static readonly string[] FixedKeys =
    [
        OutputLayout.Success, OutputLayout.Summary, OutputLayout.PcaModel, OutputLayout.Errors,
        OutputLayout.VariancePlot, OutputLayout.ScatterPlot, OutputLayout.Moments, OutputLayout.Plan,
    ];

    public IObjectStore Store => store;

    public Task<bool> IsFinishedAsync(CancellationToken cancellationToken = default) => store.ExistsAsync(OutputLayout.Success, cancellationToken);

    public async Task<JobPlan?> ReadPlanAsync(CancellationToken cancellationToken = default)
    {
        if (!await store.ExistsAsync(OutputLayout.Plan, cancellationToken))
        {
            return null;
        }

        await using var stream = await store.OpenReadAsync(OutputLayout.Plan, cancellationToken);
        try
        {
            return await JsonSerializer.DeserializeAsync<JobPlan>(stream, Json, cancellationToken);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public Task WritePlanAsync(JobPlan plan, CancellationToken cancellationToken = default) =>
        store.WriteAsync(OutputLayout.Plan, JsonSerializer.SerializeToUtf8Bytes(plan, Json), cancellationToken);

    /// <summary>The output's summary.json; null when it is missing or does not read as one.</summary>
    public async Task<JobSummary?> ReadSummaryAsync(CancellationToken cancellationToken = default)
    {
        if (!await store.ExistsAsync(OutputLayout.Summary, cancellationToken))
        {
            return null;
        }

        await using var stream = await store.OpenReadAsync(OutputLayout.Summary, cancellationToken);
        try
        {
            return await JsonSerializer.DeserializeAsync<JobSummary>(stream, Json, cancellationToken);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public Task WriteSummaryAsync(JobSummary summary, CancellationToken cancellationToken = default) =>
        store.WriteAsync(OutputLayout.Summary, JsonSerializer.SerializeToUtf8Bytes(summary, Json), cancellationToken);

    /// <summary>Written last: readers take a folder with _SUCCESS as complete.</summary>
    public Task WriteSuccessAsync(CancellationToken cancellationToken = default) => store.WriteAsync(OutputLayout.Success, Array.Empty<byte>(), cancellationToken);

    /// <summary>
    /// Deletes what a job of ours wrote, by exact key, and nothing else: names are matched exactly against the
    /// ones <see cref="OutputLayout"/> produces, and the fixed top-level names only when the folder holds a plan of
    /// ours. A user's own files in the folder, even under _work/ or named *.png, are kept.
    /// </summary>
    /// <remarks>
    /// The batch manifests stay: every attempt lists again and rewrites them (<see cref="ListAsync"/>), so a manifest
    /// left from before is never read as this job's, and one that already holds what the listing finds is not
    /// written again.
    /// </remarks>
    /// <param name="keepPlan">Keep _job/plan.json: the listing that just ran wrote it.</param>
    public async Task ClearAsync(bool keepPlan, CancellationToken cancellationToken = default)
    {
        var ours = new List<string>();
        var hadPlan = await store.ExistsAsync(OutputLayout.Plan, cancellationToken);
        await CollectBatchKeysAsync(OutputLayout.FeaturesPrefix, OutputLayout.FeaturesPart, ours, cancellationToken);
        await CollectBatchKeysAsync(OutputLayout.ErrorsPrefix, OutputLayout.ErrorsPart, ours, cancellationToken);
        await CollectBatchKeysAsync(OutputLayout.OutputPartPrefix, OutputLayout.OutputPart, ours, cancellationToken, topLevelOnly: true);
        var fixedKeys = new List<string>();
        if (hadPlan)
        {
            foreach (var key in FixedKeys.Where(k => !keepPlan || k != OutputLayout.Plan))
            {
                if (await store.ExistsAsync(key, cancellationToken))
                {
                    fixedKeys.Add(key);
                }
            }
        }

        // _SUCCESS goes first so a half-cleared folder never looks finished, and the plan with the other fixed keys
        // last. The batches' parts go in between, several at once: an output of a million images holds tens of
        // thousands of them, each a request of its own on S3.
        if (fixedKeys.Remove(OutputLayout.Success))
        {
            await store.DeleteAsync(OutputLayout.Success, cancellationToken);
        }

        await Parallel.ForEachAsync(ours, new ParallelOptions { MaxDegreeOfParallelism = DeletesInFlight, CancellationToken = cancellationToken }, async (key, token) =>
            await store.DeleteAsync(key, token));
        foreach (var key in fixedKeys)
        {
            await store.DeleteAsync(key, cancellationToken);
        }
    }

    /// <summary>Deletes the final parts numbered <paramref name="count"/> and above: parts of another cut of the rows.</summary>
    public async Task DeletePartsFromAsync(int count, CancellationToken cancellationToken = default)
    {
        var stale = new List<string>();
        await foreach (var item in store.ListAsync(string.Empty, cancellationToken))
        {
            if (OutputLayout.BatchOf(item.Key, OutputLayout.OutputPartPrefix, OutputLayout.OutputPart) is { } part && part >= count)
            {
                stale.Add(item.Key);
            }
        }

        foreach (var key in stale)
        {
            await store.DeleteAsync(key, cancellationToken);
        }
    }

    /// <summary>Keys under <paramref name="prefix"/> that are exactly what <paramref name="keyOf"/> makes for some batch number.</summary>
    private async Task CollectBatchKeysAsync(string prefix, Func<int, string> keyOf, List<string> into, CancellationToken cancellationToken, bool topLevelOnly = false)
    {
        await foreach (var item in store.ListAsync(topLevelOnly ? string.Empty : prefix, cancellationToken))
        {
            if (OutputLayout.BatchOf(item.Key, prefix, keyOf) is not null)
            {
                into.Add(item.Key);
            }
        }
    }

    /// <summary>
    /// Batches of <paramref name="plan"/> that an earlier attempt committed and that still read back whole, with
    /// their counts; anything else is featurized again.
    /// </summary>
    public async Task<Dictionary<int, BatchCommit>> FindCommittedBatchesAsync(JobPlan plan, BatchFeatureReader features, CancellationToken cancellationToken = default)
    {
        var candidates = new List<int>();
        await foreach (var part in store.ListAsync(OutputLayout.FeaturesPrefix, cancellationToken))
        {
            if (OutputLayout.BatchOf(part.Key, OutputLayout.FeaturesPrefix, OutputLayout.FeaturesPart) is { } batch && batch < plan.Batches)
            {
                candidates.Add(batch);
            }
        }

        var committed = new Dictionary<int, BatchCommit>();
        foreach (var batch in candidates)
        {
            if (await features.TryReadVerifiedCommitAsync(store, batch, cancellationToken) is { } commit)
            {
                committed[batch] = commit;
            }
        }

        return committed;
    }

    /// <summary>
    /// Lists the input and cuts batches as the listing streams (<see cref="BatchCutter"/>), writing each batch's
    /// manifest; returns the counts and a hash of the batches (each image's key and object version, in batch order) so
    /// a resume can tell its batches are those an earlier attempt featurized.
    /// </summary>
    /// <remarks>
    /// A manifest already stored with exactly the bytes this listing gives it is left as it is: rerunning a job over
    /// an unchanged input rewrites none of them. Manifests numbered beyond this listing's batches are deleted.
    /// </remarks>
    /// <param name="versions">When given, receives each listed image's version key (<see cref="ImageVersionKey"/>), in batch order.</param>
    /// <param name="inFeatureStore">
    /// When given, completes with whether the feature store holds an image, given its position in the listing: those it
    /// holds and the others fill batches of their own.
    /// </param>
    public async Task<ListingResult> ListAsync(
        IObjectStore input, int batchSize, ICollection<UInt128?>? versions = null, Task<Func<int, ImageEntry, bool>?>? inFeatureStore = null, CancellationToken cancellationToken = default)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var labels = new HashSet<string>(StringComparer.Ordinal);
        var cutter = new BatchCutter(batchSize, inFeatureStore);
        var images = 0;
        var batches = 0;
        var stored = new Dictionary<string, long>(StringComparer.Ordinal);
        await foreach (var item in store.ListAsync(OutputLayout.BatchManifestPrefix, cancellationToken))
        {
            if (OutputLayout.BatchOf(item.Key, OutputLayout.BatchManifestPrefix, OutputLayout.BatchManifest) is not null)
            {
                stored[item.Key] = item.Size;
            }
        }

        // Manifests are written a group at a time, several at once, one group in flight while the listing goes on.
        // Every group is written before the listing returns, so the plan is still written after them all.
        var group = new List<(string Key, ReadOnlyMemory<byte> Content)>(ManifestsPerWrite);
        var written = Task.CompletedTask;
        async Task TakeCutAsync()
        {
            while (cutter.Cut.TryDequeue(out var batch))
            {
                foreach (var image in batch)
                {
                    hash.AppendData(Encoding.UTF8.GetBytes($"{image.Key}\n{image.Version}\n"));
                    versions?.Add(ImageVersionKey.Of(image));
                }

                group.Add(BatchManifest.Encode(batches++, batch));
                if (group.Count == ManifestsPerWrite)
                {
                    await written;
                    written = WriteManifestsAsync(group, stored, cancellationToken);
                    group = new List<(string Key, ReadOnlyMemory<byte> Content)>(ManifestsPerWrite);
                }
            }
        }

        try
        {
            await foreach (var image in new ImageLister().ListAsync(input, cancellationToken))
            {
                labels.Add(image.Label);
                cutter.Add(image);
                images++;
                await TakeCutAsync();
            }

            await cutter.FinishAsync();
            await TakeCutAsync();
            await written;
            await WriteManifestsAsync(group, stored, cancellationToken);
        }
        catch
        {
            // No write of this listing may land after it has failed.
            await written.ContinueWith(static _ => { }, TaskScheduler.Default);
            throw;
        }

        foreach (var key in stored.Keys.Where(k => OutputLayout.BatchOf(k, OutputLayout.BatchManifestPrefix, OutputLayout.BatchManifest) >= batches))
        {
            await store.DeleteAsync(key, cancellationToken);
        }

        return new ListingResult(images, batches, labels.Count, Convert.ToHexStringLower(hash.GetHashAndReset())) { HeldByStore = cutter.Held };
    }

    private Task WriteManifestsAsync(List<(string Key, ReadOnlyMemory<byte> Content)> manifests, IReadOnlyDictionary<string, long> stored, CancellationToken cancellationToken) =>
        manifests.Count == 0 ? Task.CompletedTask : Task.Run(async () =>
            // Checked and written in parallel: on S3 each check is a GET. Not synced: every attempt lists and writes
            // the manifests again before any batch reads one, so a manifest a crash loses or empties is never read.
            await Parallel.ForEachAsync(manifests, new ParallelOptions { MaxDegreeOfParallelism = ManifestsInFlight, CancellationToken = cancellationToken }, async (manifest, token) =>
            {
                if (!stored.TryGetValue(manifest.Key, out var size) || size != manifest.Content.Length
                    || !await HoldsAsync(manifest.Key, manifest.Content, token))
                {
                    await store.WriteVolatileAsync(manifest.Key, manifest.Content, token);
                }
            }), cancellationToken);

    /// <summary>Whether <paramref name="key"/> is stored with exactly <paramref name="content"/>; false when it does not read.</summary>
    private async Task<bool> HoldsAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        try
        {
            return (await store.ReadAllBytesAsync(key, content.Length, cancellationToken)).AsSpan().SequenceEqual(content.Span);
        }
        catch (StorageException)
        {
            return false;
        }
    }

    /// <summary>Merges the per-batch error parts into errors.parquet (or removes a stale one when no image failed).</summary>
    public async Task WriteErrorsAsync(CancellationToken cancellationToken = default)
    {
        var errors = new List<ErrorRow>();
        await foreach (var part in store.ListAsync(OutputLayout.ErrorsPrefix, cancellationToken))
        {
            if (OutputLayout.BatchOf(part.Key, OutputLayout.ErrorsPrefix, OutputLayout.ErrorsPart) is not null)
            {
                errors.AddRange(await ParquetParts.ReadAsync<ErrorRow>(store, part.Key, cancellationToken));
            }
        }

        if (errors.Count > 0)
        {
            await ParquetParts.WriteAsync(store, OutputLayout.Errors, errors, cancellationToken: cancellationToken);
        }
        else if (await store.ExistsAsync(OutputLayout.Errors, cancellationToken))
        {
            await store.DeleteAsync(OutputLayout.Errors, cancellationToken);
        }
    }
}

/// <summary>What a listing found and how it was cut.</summary>
/// <param name="ListingSha256">A hash of the images as cut into batches: equal for two listings only when their batches hold the same images in the same order.</param>
public sealed record ListingResult(int Images, int Batches, int Labels, string ListingSha256)
{
    /// <summary>Which images the cut took as held by the feature store (<see cref="BatchCutter.Held"/>); null when it cut in listing order.</summary>
    public byte[]? HeldByStore { get; init; }
}
