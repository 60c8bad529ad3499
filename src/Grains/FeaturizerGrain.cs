using System.Buffers;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Fruits.Grains.Interfaces;
using Fruits.Pipeline.Reuse;
using Fruits.Pipeline.Featurizing;
using Fruits.Pipeline.Imaging;
using Fruits.Pipeline.Listing;
using Fruits.Pipeline.Output;
using Fruits.Pipeline.Statistics;
using Fruits.Pipeline.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace Fruits.Grains;

/// <summary>
/// A local worker holding one ONNX Runtime session and its buffers; the silo runs as many as
/// <see cref="FeaturizerOptions.EffectiveConcurrency"/> in parallel.
/// </summary>
[StatelessWorker]
public sealed partial class FeaturizerGrain(
    FeaturizerSessionPool sessions,
    IObjectStoreFactory stores,
    IOptions<FeaturizerOptions> options,
    ILocalSiloDetails silo,
    SiloStatisticsStore siloStatistics,
    ProjectionFeatureCache projectionCache,
    FeatureStoreCache featureStores,
    FeatureStoreWrites storeWrites,
    ILogger<FeaturizerGrain> logger) : Grain, IFeaturizerGrain, IDisposable
{
    private readonly FeaturizerOptions _options = options.Value;
    private ImagePreprocessor? _preprocessor;
    private OnnxFeaturizer? _featurizer;
    private float[] _features = [];
    private float[] _knownFeatures = [];
    private float[] _statisticsRows = [];

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _featurizer = await sessions.RentAsync();
        _preprocessor = new ImagePreprocessor(_options.ImageLimits);
    }

    public async Task<BatchResult> Featurize(FeaturizeRequest request)
    {
        using var scope = logger.BeginBatchScope(request.JobId, request.BatchIndex);
        var clock = Stopwatch.StartNew();
        var input = stores.Open(request.Input.ToPipeline());
        var output = stores.Open(request.Output.ToPipeline());
        var images = await BatchManifest.ReadAsync(output, request.BatchIndex);
        var inferenceBatch = _featurizer!.MaxBatch;

        // Reused across batches: a batch's features are 327 KB, which would otherwise be a large-object
        // allocation per batch. The table built on it does not outlive this call.
        if (_features.Length < images.Count * OnnxFeaturizer.FeatureLength)
        {
            _features = new float[images.Count * OnnxFeaturizer.FeatureLength];
        }

        var features = _features;
        var paths = new List<string>(images.Count);
        var labels = new List<string>(images.Count);
        var errors = new List<ErrorRow>();
        var featureStore = await OpenFeatureStoreAsync(request);

        // Images the store holds at the very version listed are not read at all; the others are read in order. Each
        // image's version key is computed once: it finds the image here, and is stored with its features if it misses.
        var versions = featureStore is null ? null : images.Select(ImageVersionKey.Of).ToArray();
        var byVersion = featureStore is { } opened ? await ReadKnownAsync(opened.Store, opened.Index, versions!) : null;
        var toRead = byVersion is null ? images : images.Where((_, i) => byVersion.Slots[i] < 0).ToList();

        // Rows whose tensors wait in the model's input slots; rows found in the feature store by version (filled in
        // the loop) and by content (filled after it); the content hash and version key of each featurized row,
        // written to the store at the end.
        var pendingRows = new List<int>(inferenceBatch);
        var knownHits = new List<FeatureStoreHit>();
        var hits = new List<FeatureStoreHit>();
        var hitImages = new List<int>();
        var missHashes = new List<ContentHash>();
        var missVersions = new List<UInt128?>();
        var missRows = new List<int>();

        // Each row's content hash (first 128 bits), in row order, when the store is in use; and each row's image.
        var rowHashes = featureStore is null ? null : new List<UInt128>(images.Count);
        var rowImages = new List<int>(images.Count);

        await using var reads = new ImageReadAhead(input, toRead, _options.EffectiveReadAhead, _options.MaxImageBytes, _options.ReadTimeout);
        for (var i = 0; i < images.Count; i++)
        {
            var image = images[i];
            if (byVersion is not null && byVersion.Slots[i] is var slot and >= 0)
            {
                _knownFeatures.AsSpan(slot * OnnxFeaturizer.FeatureLength, OnnxFeaturizer.FeatureLength)
                    .CopyTo(features.AsSpan(paths.Count * OnnxFeaturizer.FeatureLength, OnnxFeaturizer.FeatureLength));
                knownHits.Add(byVersion.Hits[slot] with { DestinationRow = paths.Count });
                rowHashes!.Add(byVersion.Hits[slot].Hash.Prefix);
                rowImages.Add(i);
                paths.Add(image.Path);
                labels.Add(image.Label);
                continue;
            }

            try
            {
                var bytes = await reads.ReadNextAsync();
                ContentHash? hash = featureStore is null ? null : ContentHash.Of(bytes);
                if (hash is { } known && featureStore!.Value.Index.TryFind(known, out var entry))
                {
                    hits.Add(new FeatureStoreHit(known, entry, paths.Count));
                    hitImages.Add(i);
                }
                else
                {
                    _preprocessor!.Preprocess(bytes, _featurizer.InputSlot(pendingRows.Count));
                    if (hash is { } miss)
                    {
                        missHashes.Add(miss);
                        missVersions.Add(versions![i]);
                        missRows.Add(paths.Count);
                    }

                    pendingRows.Add(paths.Count);
                }

                if (hash is { } rowHash)
                {
                    rowHashes!.Add(rowHash.Prefix);
                }

                rowImages.Add(i);
                paths.Add(image.Path);
                labels.Add(image.Label);
            }
            // A transient storage error (throttling, 5xx, a lost connection) is not this image's fault: it propagates
            // and the whole batch is retried, instead of recording a good image as failed.
            catch (Exception e) when (e is ImageDecodeException or StorageException { IsTransient: false } or IOException or UnauthorizedAccessException)
            {
                errors.Add(new ErrorRow { Path = image.Path, Reason = OneLine(e.Message) });
                LogImageSkipped(request.JobId, request.BatchIndex, image.Path, OneLine(e.Message));
            }

            if (pendingRows.Count == inferenceBatch)
            {
                Infer(pendingRows, features);
            }
        }

        var reused = knownHits.Count + hits.Count;
        IReadOnlyList<int> unverified = [];
        if (featureStore is { } found && hits.Count > 0)
        {
            // A hit whose segment does not read or verify is read where else it is stored, or else featurized after all:
            // the store is never trusted blindly. The part points at wherever each was read from.
            var served = new FeatureStoreEntry[hits.Count];
            unverified = await found.Store.ReadAsync(hits, features, OnnxFeaturizer.FeatureLength, index: found.Index, served: served);
            for (var position = 0; position < hits.Count; position++)
            {
                if (served[position].SegmentId is not null)
                {
                    hits[position] = hits[position] with { Entry = served[position] };
                }
            }

            reused -= unverified.Count;
            foreach (var position in unverified)
            {
                var hit = hits[position];
                var bytes = await input.ReadAllBytesAsync(images[hitImages[position]].Key, _options.MaxImageBytes);
                _preprocessor!.Preprocess(bytes, _featurizer.InputSlot(pendingRows.Count));
                pendingRows.Add(hit.DestinationRow);
                missHashes.Add(hit.Hash);
                missVersions.Add(versions![hitImages[position]]);
                missRows.Add(hit.DestinationRow);
                if (pendingRows.Count == inferenceBatch)
                {
                    Infer(pendingRows, features);
                }
            }

            LogReused(request.JobId, request.BatchIndex, reused, unverified.Count);
        }
        else if (reused > 0)
        {
            LogReused(request.JobId, request.BatchIndex, reused, 0);
        }

        if (pendingRows.Count > 0)
        {
            Infer(pendingRows, features);
        }

        var table = new FeatureTable(paths, labels, features, OnnxFeaturizer.FeatureLength);

        // The store is a cache, so the batch does not wait for it (a failed write costs a later job time only): the
        // silo's store writes copy the misses' features, gather them into segments written while the next batches
        // run, and the job waits for them when it takes this silo's statistics.
        if (featureStore is { } target && missHashes.Count > 0)
        {
            storeWrites.Store(request.JobId, target.Location.Uri, target.Store, target.Index, missHashes, missVersions, missRows, features, OnnxFeaturizer.FeatureLength);
        }

        // The parts are written before the statistics take the batch: the stored features are the source of truth,
        // so a batch in the statistics always has its features on storage. The errors part comes first (or a stale
        // one from an earlier attempt goes) and the features part last, carrying the batch's commit in its footer:
        // a features part that reads is a batch whose every image is accounted for. Neither is synced: a machine crash
        // that loses one also loses the statistics in memory, and a resume trusts only the parts that read back.
        if (errors.Count > 0)
        {
            await ParquetParts.WriteAsync(output, OutputLayout.ErrorsPart(request.BatchIndex), errors, synced: false);
        }
        else if (await output.ExistsAsync(OutputLayout.ErrorsPart(request.BatchIndex)))
        {
            await output.DeleteAsync(OutputLayout.ErrorsPart(request.BatchIndex));
        }

        var commit = new BatchCommit(images.Count, table.Count, errors.Count, reused);
        if (featureStore is { } stored && reused > 0 && table.Count > 0)
        {
            // The reused rows' features are already durable in the store: the part points at them instead of holding
            // them, and holds only the features this batch computed.
            var stale = unverified.ToHashSet();
            var storedHits = knownHits.Concat(hits.Where((_, position) => !stale.Contains(position))).OrderBy(h => h.DestinationRow).ToList();
            await FeatureReferences.WriteAsync(output, OutputLayout.FeaturesPart(request.BatchIndex), table, storedHits, stored.Location, commit);
        }
        else
        {
            await FeatureParts.WriteAsync(output, OutputLayout.FeaturesPart(request.BatchIndex), table, commit);
        }

        // Into this silo's running statistics, which the job collects once at fit time (unless it holds them already),
        // and kept for the projection.
        var attempt = Guid.Empty;
        if (table.Count > 0)
        {
            AddStatistics(request, table, rowImages);

            var call = Guid.NewGuid();
            attempt = projectionCache.Add(request.JobId, request.BatchIndex, call, table) ? call : Guid.Empty;
        }

        LogBatchFeaturized(request.JobId, request.BatchIndex, table.Count, errors.Count, clock.Elapsed.TotalSeconds);
        return new BatchResult(request.BatchIndex, table.Count, errors.Count, silo.SiloAddress.ToString(), clock.Elapsed.TotalSeconds)
        {
            Reused = reused,
            Attempt = attempt,
            RowHashes = rowHashes is null ? null : RowsFingerprint.Pack(CollectionsMarshal.AsSpan(rowHashes)),
        };
    }

    /// <summary>
    /// Adds the batch's rows to this silo's statistics of the job, but for the rows of the images the job said its
    /// statistics already hold.
    /// </summary>
    private void AddStatistics(FeaturizeRequest request, FeatureTable table, List<int> rowImages)
    {
        if (request.SkipStatistics is null)
        {
            siloStatistics.Add(request.JobId, request.BatchIndex, table.FeatureBlock, table.Count, table.Dimension);
            return;
        }

        if (_statisticsRows.Length < table.Count * table.Dimension)
        {
            _statisticsRows = new float[table.Count * table.Dimension];
        }

        var added = 0;
        for (var row = 0; row < table.Count; row++)
        {
            if (!request.SkipsStatisticsOf(rowImages[row]))
            {
                // Gathered in order into a buffer this activation reuses, as the rank-k update takes a block of rows.
                table.FeatureBlock.Slice(row * table.Dimension, table.Dimension).CopyTo(_statisticsRows.AsSpan(added++ * table.Dimension));
            }
        }

        if (added > 0)
        {
            siloStatistics.Add(request.JobId, request.BatchIndex, _statisticsRows.AsSpan(0, added * table.Dimension), added, table.Dimension);
        }
    }

    public void Dispose()
    {
        if (_featurizer is not null)
        {
            sessions.Return(_featurizer);
            _featurizer = null;
        }
    }

    /// <summary>Runs the model on the pending slots and copies each slot's features to its row; clears the pending rows.</summary>
    private void Infer(List<int> rows, float[] features)
    {
        _featurizer!.Run(rows.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            _featurizer.Features(i).CopyTo(features.AsSpan(rows[i] * OnnxFeaturizer.FeatureLength, OnnxFeaturizer.FeatureLength));
        }

        rows.Clear();
    }

    private async Task<(FeatureStore Store, FeatureStoreIndex Index, StorageLocation Location)?> OpenFeatureStoreAsync(FeaturizeRequest request)
    {
        if (request.FeatureStore is null || request.ModelSha256 is null)
        {
            return null;
        }

        try
        {
            var key = new FeatureStoreKey(request.ModelSha256, ImagePreprocessor.Version);
            var (store, index) = await featureStores.OpenAsync(request.FeatureStore.ToPipeline(), key, request.JobId);
            return (store, index, FeatureStoreLocation.Namespace(request.FeatureStore.ToPipeline(), key));
        }
        catch (Exception e) when (e is not OutOfMemoryException and not OperationCanceledException)
        {
            LogStoreUnavailable(request.JobId, request.BatchIndex, OneLine(e.Message));
            return null;
        }
    }

    /// <summary>
    /// The images of the batch that the store holds at the version listed, with their features read into
    /// <see cref="_knownFeatures"/>; null when there are none. An entry whose segment does not read or verify is left
    /// out, and its image is read like any other.
    /// </summary>
    private async Task<KnownImages?> ReadKnownAsync(FeatureStore store, FeatureStoreIndex index, UInt128?[] versions)
    {
        var slots = new int[versions.Length];
        var wanted = new List<FeatureStoreHit>();
        for (var i = 0; i < versions.Length; i++)
        {
            slots[i] = -1;
            if (versions[i] is { } version && index.TryFindVersion(version, out var prefix, out var entry))
            {
                slots[i] = wanted.Count;
                wanted.Add(new FeatureStoreHit(new ContentHash(prefix, ""), entry, wanted.Count));
            }
        }

        if (wanted.Count == 0)
        {
            return null;
        }

        if (_knownFeatures.Length < wanted.Count * OnnxFeaturizer.FeatureLength)
        {
            _knownFeatures = new float[versions.Length * OnnxFeaturizer.FeatureLength];
        }

        var resolved = new ContentHash[wanted.Count];
        var served = new FeatureStoreEntry[wanted.Count];
        var failed = (await store.ReadAsync(wanted, _knownFeatures, OnnxFeaturizer.FeatureLength, resolved, index, served)).ToHashSet();
        var hits = new FeatureStoreHit[wanted.Count];
        for (var i = 0; i < slots.Length; i++)
        {
            if (slots[i] >= 0 && failed.Contains(slots[i]))
            {
                slots[i] = -1;
            }
            else if (slots[i] >= 0)
            {
                hits[slots[i]] = wanted[slots[i]] with { Hash = resolved[slots[i]], Entry = served[slots[i]] };
            }
        }

        return failed.Count == wanted.Count ? null : new KnownImages(slots, hits);
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();

    /// <summary>For each image of a batch, its slot among <see cref="Hits"/> (the images found by version), or -1.</summary>
    private sealed record KnownImages(int[] Slots, FeatureStoreHit[] Hits);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Job {JobId} batch {BatchIndex}: {Reused} images reused from the feature store, {Unverified} found there but featurized again")]
    private partial void LogReused(string jobId, int batchIndex, int reused, int unverified);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} batch {BatchIndex}: the feature store is not readable, featurizing every image: {Reason}")]
    private partial void LogStoreUnavailable(string jobId, int batchIndex, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} batch {BatchIndex}: skipped {Path}: {Reason}")]
    private partial void LogImageSkipped(string jobId, int batchIndex, string path, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} batch {BatchIndex}: {Succeeded} featurized, {Failed} failed in {Seconds:F2}s")]
    private partial void LogBatchFeaturized(string jobId, int batchIndex, int succeeded, int failed, double seconds);
}
