using Fruits.Grains;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Fruits.Silo;

/// <summary>Builds (first run) and checks the model before the silo takes work, so a missing model fails fast.</summary>
public sealed class ModelWarmup(FeaturizerModel model, ILogger<ModelWarmup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var info = await model.GetAsync();
        logger.LogInformation("Featurizer model {Path} sha256 {Sha256}", info.Path, info.Sha256);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
