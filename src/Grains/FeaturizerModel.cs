using Fruits.Models;
using Microsoft.Extensions.Options;

namespace Fruits.Grains;

/// <summary>The silo's ONNX model file, built once on first use.</summary>
public sealed class FeaturizerModel(IOptions<FeaturizerOptions> options)
{
    private readonly Lazy<Task<ModelInfo>> _model = new(() => Ensure(options.Value));

    /// <summary>Where the model is (or will be built), known even when it cannot be built, so failures can name it.</summary>
    public string Path { get; } = ResolvePath(options.Value);

    public Task<ModelInfo> GetAsync() => _model.Value;

    private static Task<ModelInfo> Ensure(FeaturizerOptions options)
    {
        var weights = string.IsNullOrEmpty(options.WeightsDirectory) ? ModelLocations.DefaultWeightsDirectory() : options.WeightsDirectory;
        return new ModelProvisioner().EnsureAsync(ResolvePath(options), weights);
    }

    private static string ResolvePath(FeaturizerOptions options) =>
        System.IO.Path.GetFullPath(string.IsNullOrEmpty(options.ModelPath) ? ModelLocations.DefaultModelPath() : options.ModelPath);
}
