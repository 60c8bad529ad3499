using Fruits.Models;
using Microsoft.Extensions.Options;

namespace Fruits.Grains;

/// <summary>The silo's ONNX model file, built once on first use.</summary>
public sealed class FeaturizerModel(IOptions<FeaturizerOptions> options)
{
    private readonly Lazy<Task<ModelInfo>> _model = new(() => Ensure(options.Value));

    public Task<ModelInfo> GetAsync() => _model.Value;

    private static Task<ModelInfo> Ensure(FeaturizerOptions options)
    {
        var modelPath = string.IsNullOrEmpty(options.ModelPath) ? ModelLocations.DefaultModelPath() : options.ModelPath;
        var weights = string.IsNullOrEmpty(options.WeightsDirectory) ? ModelLocations.DefaultWeightsDirectory() : options.WeightsDirectory;
        return new ModelProvisioner().EnsureAsync(modelPath, weights);
    }
}
