using System.Collections.Concurrent;
using Fruits.Pipeline.Featurizing;
using Fruits.Pipeline.Imaging;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fruits.Grains;

/// <summary>
/// Featurizes single photos for the classifier: decoded and preprocessed exactly as a job's featurizer does, then run
/// through one of the silo's warm sessions. The work is done by lanes, one thread per featurizer slot, that all take
/// photos from one queue.
/// </summary>
/// <remarks>
/// A photo is a few milliseconds of ONNX Runtime and well under one of everything else. Run inside a grain's turn,
/// a session waited whenever the next photo sat in that activation's queue behind another request's search or answer;
/// on lanes of their own, a lane takes the next queued photo the moment it is done, so with requests waiting every
/// core runs ONNX Runtime. A run also blocks its thread for those milliseconds: on a lane that is never a thread-pool
/// thread that HTTP and grain turns need. The lanes start with the first photo, so a silo that never classifies
/// never starts them, and a session is rented only around each run, so the lanes share the silo's sessions with its
/// jobs.
/// </remarks>
public sealed partial class PhotoFeaturizer(
    FeaturizerModel model,
    FeaturizerSessionPool sessions,
    IOptions<FeaturizerOptions> options,
    ILogger<PhotoFeaturizer> logger) : IDisposable
{
    private readonly FeaturizerOptions _options = options.Value;
    private readonly BlockingCollection<Photo> _queue = [];
    private readonly Lock _starting = new();
    private Task? _started;
    private bool _disposed;

    /// <summary>The photo's 1,280 features; throws <see cref="ImageDecodeException"/> for a photo the job's decoder refuses.</summary>
    public async Task<float[]> FeaturizeAsync(byte[] photo)
    {
        ArgumentNullException.ThrowIfNull(photo);
        await StartAsync();
        var featurized = new Photo(photo, new TaskCompletionSource<float[]>(TaskCreationOptions.RunContinuationsAsynchronously));
        try
        {
            _queue.Add(featurized);
        }
        catch (InvalidOperationException e)
        {
            // Disposed between the start and the add: the queue takes no more photos.
            throw new ObjectDisposedException("the photo featurizer is stopping: its silo is shutting down", e);
        }

        return await featurized.Features.Task;
    }

    public void Dispose()
    {
        lock (_starting)
        {
            _disposed = true;
        }

        _queue.CompleteAdding();
        // Lanes finish the photo in hand; whatever is still queued is answered here rather than left waiting.
        while (_queue.TryTake(out var photo))
        {
            photo.Features.TrySetException(new ObjectDisposedException(nameof(PhotoFeaturizer)));
        }
    }

    private Task StartAsync()
    {
        lock (_starting)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _started ??= StartLanesAsync();
        }
    }

    /// <summary>The model file is made sure of once, asynchronously, so that a lane never waits on storage.</summary>
    private async Task StartLanesAsync()
    {
        var info = await model.GetAsync();
        var lanes = _options.EffectiveConcurrency;
        for (var i = 0; i < lanes; i++)
        {
            new Thread(() => Lane(info.Path)) { IsBackground = true, Name = $"fruits-photo-{i}" }.Start();
        }

        LogStarted(lanes);
    }

    private void Lane(string modelPath)
    {
        var preprocessor = new ImagePreprocessor(_options.ImageLimits);
        var tensor = new float[OnnxFeaturizer.ImageLength];
        foreach (var photo in _queue.GetConsumingEnumerable())
        {
            try
            {
                preprocessor.Preprocess(photo.Bytes, tensor);
                var features = new float[OnnxFeaturizer.FeatureLength];
                var session = sessions.Rent(modelPath);
                try
                {
                    tensor.CopyTo(session.InputSlot(0));
                    session.Run(1);
                    session.Features(0).CopyTo(features);
                }
                finally
                {
                    sessions.Return(session);
                }

                photo.Features.TrySetResult(features);
            }
            catch (Exception e)
            {
                photo.Features.TrySetException(e);
            }
        }
    }

    private sealed record Photo(byte[] Bytes, TaskCompletionSource<float[]> Features);

    [LoggerMessage(Level = LogLevel.Information, Message = "Started {Lanes} photo featurizer lanes for the classifier")]
    private partial void LogStarted(int lanes);
}
