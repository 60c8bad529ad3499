using System.Diagnostics;
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
public sealed class FeaturizerGrain(
    FeaturizerModel model,
    IObjectStoreFactory stores,
    IOptions<FeaturizerOptions> options,
    ILocalSiloDetails silo,
    ILogger<FeaturizerGrain> logger) : Grain, IFeaturizerGrain, IDisposable
{
    private readonly FeaturizerOptions _options = options.Value;
    private ImagePreprocessor? _preprocessor;
    private OnnxFeaturizer? _featurizer;
    private float[] _input = [];

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var info = await model.GetAsync();
        _featurizer = new OnnxFeaturizer(info.Path, _options.IntraOpThreads);
        _preprocessor = new ImagePreprocessor(new ImageLimits(_options.MaxImagePixels, _options.MaxImageBytes));
        _input = new float[Math.Max(1, _options.InferenceBatchSize) * ImagePreprocessor.TensorLength];
    }

    public async Task<BatchOutcome> Featurize(FeaturizeRequest request)
    {
        using var scope = logger.BeginBatchScope(request.JobId, request.BatchIndex);
        var clock = Stopwatch.StartNew();
        var input = stores.Open(request.Input);
        var output = stores.Open(request.Output);
        var images = await BatchManifest.ReadAsync(output, request.BatchIndex);
        var inferenceBatch = _input.Length / ImagePreprocessor.TensorLength;

        var features = new float[images.Count * OnnxFeaturizer.FeatureLength];
        var rows = new List<FeatureRow>(images.Count);
        var errors = new List<ErrorRow>();
        var pending = 0;

        foreach (var image in images)
        {
            try
            {
                var bytes = await input.ReadAllBytesAsync(image.Key, _options.MaxImageBytes);
                _preprocessor!.Preprocess(bytes, _input.AsSpan(pending * ImagePreprocessor.TensorLength, ImagePreprocessor.TensorLength));
                rows.Add(new FeatureRow { Path = image.Path, Label = image.Label });
                pending++;
            }
            catch (Exception e) when (e is ImageDecodeException or StorageException or IOException or UnauthorizedAccessException)
            {
                errors.Add(new ErrorRow { Path = image.Path, Reason = OneLine(e.Message) });
                logger.LogWarning("Job {JobId} batch {BatchIndex}: skipped {Path}: {Reason}", request.JobId, request.BatchIndex, image.Path, OneLine(e.Message));
            }

            if (pending == inferenceBatch)
            {
                Infer(pending, rows.Count - pending, features);
                pending = 0;
            }
        }

        if (pending > 0)
        {
            Infer(pending, rows.Count - pending, features);
        }

        for (var i = 0; i < rows.Count; i++)
        {
            rows[i].Features = features.AsSpan(i * OnnxFeaturizer.FeatureLength, OnnxFeaturizer.FeatureLength).ToArray();
        }

        // The part is written before the statistics are merged: the stored features are the source of
        // truth, so a merged batch always has its features on storage.
        await ParquetParts.WriteAsync(output, OutputLayout.FeaturesPart(request.BatchIndex), rows);
        if (errors.Count > 0)
        {
            await ParquetParts.WriteAsync(output, OutputLayout.ErrorsPart(request.BatchIndex), errors);
        }
        else if (await output.ExistsAsync(OutputLayout.ErrorsPart(request.BatchIndex)))
        {
            await output.DeleteAsync(OutputLayout.ErrorsPart(request.BatchIndex));
        }

        var statistics = rows.Count > 0
            ? MomentStatistics.FromRows(features.AsSpan(0, rows.Count * OnnxFeaturizer.FeatureLength), rows.Count, OnnxFeaturizer.FeatureLength)
            : MomentStatistics.Empty(OnnxFeaturizer.FeatureLength);
        await GrainFactory.GetGrain<IPcaAggregatorGrain>(request.JobId).Merge(request.BatchIndex, statistics);

        logger.LogInformation("Job {JobId} batch {BatchIndex}: {Succeeded} featurized, {Failed} failed in {Seconds:F2}s",
            request.JobId, request.BatchIndex, rows.Count, errors.Count, clock.Elapsed.TotalSeconds);
        return new BatchOutcome(request.BatchIndex, rows.Count, errors.Count, silo.SiloAddress.ToString(), clock.Elapsed.TotalSeconds);
    }

    public void Dispose() => _featurizer?.Dispose();

    private void Infer(int count, int firstRow, float[] features) =>
        _featurizer!.Run(
            _input.AsSpan(0, count * ImagePreprocessor.TensorLength),
            count,
            features.AsSpan(firstRow * OnnxFeaturizer.FeatureLength, count * OnnxFeaturizer.FeatureLength));

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();
}
