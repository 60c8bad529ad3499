using Fruits.Grains;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Fruits.Silo;

/// <summary>
/// Finds the model file (building it on a first run) and logs its sha256 before the silo takes work. A silo with no
/// model file can never featurize, so a missing one stops the silo at start. A file that is there but that ONNX Runtime
/// cannot load is the featurizer warm-up's concern: that silo starts and
/// reports itself not ready (<see cref="FeaturizerReadiness"/>), so an operator can still reach it.
/// </summary>
public sealed partial class ModelFileCheck(FeaturizerModel model, ILogger<ModelFileCheck> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var info = await model.GetAsync();
        LogModel(info.Path, info.Sha256);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Featurizer model {Path} sha256 {Sha256}")]
    private partial void LogModel(string path, string sha256);
}
