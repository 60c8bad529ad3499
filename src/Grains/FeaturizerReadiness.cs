using Fruits.Grains.Interfaces;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.ML.OnnxRuntime;

namespace Fruits.Grains;

/// <summary>
/// Decides once per silo whether it can featurize: the model file exists (or can be built), is the one the cluster
/// expects (<see cref="SiloReadinessOptions.ExpectedModelSha256"/>), and ONNX Runtime builds and runs a session from it.
/// The warm-up decides while the silo starts; with warm-up off the first question decides, by building one session.
/// The verdict, a failure included, is kept: a model file that could not be loaded does not heal in a running silo,
/// and asking again would cost every job a failed session build.
/// </summary>
public sealed partial class FeaturizerReadiness(
    FeaturizerModel model,
    FeaturizerSessionPool pool,
    IOptions<FeaturizerOptions> featurizer,
    IOptions<SiloReadinessOptions> readiness,
    ILogger<FeaturizerReadiness> logger)
{
    private readonly Lock _gate = new();
    private Task<SiloReadiness>? _verdict;

    /// <summary>The verdict: the warm-up's, or decided now by building one session when the warm-up did not run.</summary>
    public Task<SiloReadiness> GetAsync() => Decide(warmEverySlot: false, CancellationToken.None);

    /// <summary>Decides by building and running a session for every featurizer slot (the silo's start-up warm-up).</summary>
    public Task<SiloReadiness> WarmAsync(CancellationToken cancellationToken) => Decide(warmEverySlot: true, cancellationToken);

    private Task<SiloReadiness> Decide(bool warmEverySlot, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            // Off the caller's thread: provisioning may build the model and hash it, both long CPU work.
            return _verdict ??= Task.Run(() => CheckAsync(warmEverySlot, cancellationToken), CancellationToken.None);
        }
    }

    private async Task<SiloReadiness> CheckAsync(bool warmEverySlot, CancellationToken cancellationToken)
    {
        try
        {
            var verdict = await EvaluateAsync(warmEverySlot, cancellationToken);
            if (verdict.Ready)
            {
                LogReady(logger, verdict.Capacity, model.Path, verdict.ModelSha256);
            }
            else
            {
                LogNotReady(logger, verdict.Reason);
            }

            return verdict;
        }
        catch (OperationCanceledException)
        {
            // A silo stopped during its start-up has not decided anything; a later question decides afresh.
            lock (_gate)
            {
                _verdict = null;
            }

            throw;
        }
    }

    private async Task<SiloReadiness> EvaluateAsync(bool warmEverySlot, CancellationToken cancellationToken)
    {
        Fruits.Models.ModelInfo info;
        try
        {
            info = await model.GetAsync();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return NotReady($"model {model.Path} cannot be read or built: {OneLine(e.Message)}", sha256: null);
        }

        var expected = readiness.Value.ExpectedModelSha256;
        if (expected.Length > 0 && !string.Equals(expected, info.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            return NotReady($"model {info.Path} has sha256 {info.Sha256}, not the {expected} the cluster expects", info.Sha256);
        }

        try
        {
            if (warmEverySlot)
            {
                await pool.WarmAsync(cancellationToken);
            }
            else
            {
                await pool.ProbeAsync(cancellationToken);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return NotReady($"model {info.Path} cannot be loaded: {Describe(e)}", info.Sha256);
        }

        return new SiloReadiness(featurizer.Value.EffectiveConcurrency, Ready: true, Reason: null, info.Sha256);
    }

    private static SiloReadiness NotReady(string reason, string? sha256) => new(0, Ready: false, reason, sha256);

    /// <summary>
    /// ONNX Runtime's "[ErrorCode:InvalidProtobuf] Load model from … failed: …" as "InvalidProtobuf: Load model …":
    /// the error code first, where an operator looks.
    /// </summary>
    private static string Describe(Exception e)
    {
        const string prefix = "[ErrorCode:";
        var message = OneLine(e.Message);
        if (e is OnnxRuntimeException && message.StartsWith(prefix, StringComparison.Ordinal) && message.IndexOf(']', StringComparison.Ordinal) is > 0 and var end)
        {
            return $"{message[prefix.Length..end]}: {message[(end + 1)..].TrimStart()}";
        }

        return $"{e.GetType().Name}: {message}";
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();

    [LoggerMessage(Level = LogLevel.Information, Message = "Silo ready: {Capacity} featurizer slots, model {Path} sha256 {Sha256}")]
    private static partial void LogReady(ILogger logger, int capacity, string path, string? sha256);

    [LoggerMessage(Level = LogLevel.Error, Message = "Silo not ready, it offers no capacity: {Reason}")]
    private static partial void LogNotReady(ILogger logger, string? reason);
}
