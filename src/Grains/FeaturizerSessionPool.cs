using System.Collections.Concurrent;
using System.Diagnostics;
using Fruits.Pipeline.Featurizing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fruits.Grains;

/// <summary>
/// The silo's ONNX Runtime sessions, kept across featurizer activations. Building a session (loading the
/// graph, applying the layout rewrites, pre-packing weights) and its first run take most of a second; a
/// silo warms one per featurizer slot before it joins the cluster, so no job pays for it and a featurizer
/// that is deactivated and reactivated gets its session back instead of building another.
/// </summary>
public sealed partial class FeaturizerSessionPool(FeaturizerModel model, IOptions<FeaturizerOptions> options, ILogger<FeaturizerSessionPool> logger) : IDisposable
{
    private readonly FeaturizerOptions _options = options.Value;
    private readonly ConcurrentBag<OnnxFeaturizer> _idle = [];
    private bool _disposed;

    public int Idle => _idle.Count;

    /// <summary>A warm session, or a new one when none is idle.</summary>
    public async Task<OnnxFeaturizer> RentAsync()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_idle.TryTake(out var session))
        {
            return session;
        }

        var info = await model.GetAsync();
        return Create(info.Path);
    }

    /// <summary>A warm session, or one built at once from <paramref name="modelPath"/>: for a caller on a thread of its own that has made sure of the model file.</summary>
    public OnnxFeaturizer Rent(string modelPath)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _idle.TryTake(out var session) ? session : Create(modelPath);
    }

    /// <summary>Gives a session back; beyond one per featurizer slot it is released rather than kept.</summary>
    public void Return(OnnxFeaturizer session)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (_disposed || _idle.Count >= _options.EffectiveConcurrency)
        {
            session.Dispose();
            return;
        }

        _idle.Add(session);
    }

    /// <summary>Builds a session for every featurizer slot and runs each one batch, in parallel.</summary>
    public async Task WarmAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var info = await model.GetAsync();
        var missing = _options.EffectiveConcurrency - _idle.Count;
        var sessions = await Task.WhenAll(Enumerable.Range(0, Math.Max(0, missing)).Select(_ => Task.Run(() =>
        {
            var session = Create(info.Path);
            session.Run(1);
            return session;
        }, cancellationToken)));
        foreach (var session in sessions)
        {
            Return(session);
        }

        LogWarmed(sessions.Length, clock.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// Builds (or takes an idle) session, runs it once and keeps it: proof that this silo can featurize, for a silo
    /// that did not warm its sessions at start. Throws what building or running the session throws.
    /// </summary>
    public async Task ProbeAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_idle.TryTake(out var session))
        {
            var info = await model.GetAsync();
            // Building a session is CPU work of most of a second: off the caller's (possibly a grain's) thread.
            session = await Task.Run(() => Create(info.Path), cancellationToken);
        }

        try
        {
            session.Run(1);
        }
        catch
        {
            session.Dispose();
            throw;
        }

        Return(session);
    }

    public void Dispose()
    {
        _disposed = true;
        while (_idle.TryTake(out var session))
        {
            session.Dispose();
        }
    }

    private OnnxFeaturizer Create(string modelPath) =>
        new(modelPath, _options.IntraOpThreads, Math.Max(1, _options.InferenceBatchSize));

    [LoggerMessage(Level = LogLevel.Information, Message = "Warmed {Sessions} featurizer sessions in {Seconds:F2}s")]
    private partial void LogWarmed(int sessions, double seconds);
}
