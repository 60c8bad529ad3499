using System.Diagnostics;
using Fruits.Grains.Interfaces;
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
    ILogger<FeaturizerGrain> logger) : Grain, IFeaturizerGrain, IDisposable
{
    private readonly FeaturizerOptions _options = options.Value;
    private ImagePreprocessor? _preprocessor;
    private OnnxFeaturizer? _featurizer;
    private MomentStatisticsBuffer? _statistics;
    private float[] _features = [];

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
        var pending = 0;

        await using var reads = new ImageReadAhead(input, images, _options.EffectiveReadAhead, _options.MaxImageBytes, _options.ReadTimeout);
        foreach (var image in images)
        {
            try
            {
                var bytes = await reads.ReadNextAsync();
                _preprocessor!.Preprocess(bytes, _featurizer.InputSlot(pending));
                paths.Add(image.Path);
                labels.Add(image.Label);
                pending++;
            }
            // A transient storage error (throttling, 5xx, a lost connection) is not this image's fault: it propagates
            // and the whole batch is retried, instead of recording a good image as failed.
            catch (Exception e) when (e is ImageDecodeException or StorageException { IsTransient: false } or IOException or UnauthorizedAccessException)
            {
                errors.Add(new ErrorRow { Path = image.Path, Reason = OneLine(e.Message) });
                LogImageSkipped(request.JobId, request.BatchIndex, image.Path, OneLine(e.Message));
            }

            if (pending == inferenceBatch)
            {
                Infer(pending, paths.Count - pending, features);
                pending = 0;
            }
        }

        if (pending > 0)
        {
            Infer(pending, paths.Count - pending, features);
        }

        var table = new FeatureTable(paths, labels, features, OnnxFeaturizer.FeatureLength);

        // The parts are written before the statistics are merged: the stored features are the source of
        // truth, so a merged batch always has its features on storage. The errors part comes first (or a stale
        // one from an earlier attempt goes) and the features part last, carrying the batch's commit in its footer:
        // a features part that reads is a batch whose every image is accounted for.
        if (errors.Count > 0)
        {
            await ParquetParts.WriteAsync(output, OutputLayout.ErrorsPart(request.BatchIndex), errors);
        }
        else if (await output.ExistsAsync(OutputLayout.ErrorsPart(request.BatchIndex)))
        {
            await output.DeleteAsync(OutputLayout.ErrorsPart(request.BatchIndex));
        }

        await FeatureParts.WriteAsync(output, OutputLayout.FeaturesPart(request.BatchIndex), table, new BatchCommit(images.Count, table.Count, errors.Count));

        // Merged into this silo's running partial, which the job collects once at fit time; the buffer is
        // free again as soon as the merge returns.
        _statistics ??= new MomentStatisticsBuffer(OnnxFeaturizer.FeatureLength);
        if (table.Count > 0)
        {
            siloStatistics.Add(request.JobId, request.BatchIndex, _statistics.Compute(table.FeatureBlock, table.Count));
        }

        LogBatchFeaturized(request.JobId, request.BatchIndex, table.Count, errors.Count, clock.Elapsed.TotalSeconds);
        return new BatchResult(request.BatchIndex, table.Count, errors.Count, silo.SiloAddress.ToString(), clock.Elapsed.TotalSeconds);
    }

    public void Dispose()
    {
        if (_featurizer is not null)
        {
            sessions.Return(_featurizer);
            _featurizer = null;
        }
    }

    private void Infer(int count, int firstRow, float[] features)
    {
        _featurizer!.Run(count);
        for (var i = 0; i < count; i++)
        {
            _featurizer.Features(i).CopyTo(features.AsSpan((firstRow + i) * OnnxFeaturizer.FeatureLength, OnnxFeaturizer.FeatureLength));
        }
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} batch {BatchIndex}: skipped {Path}: {Reason}")]
    private partial void LogImageSkipped(string jobId, int batchIndex, string path, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} batch {BatchIndex}: {Succeeded} featurized, {Failed} failed in {Seconds:F2}s")]
    private partial void LogBatchFeaturized(string jobId, int batchIndex, int succeeded, int failed, double seconds);
}
