using Fruits.Models;

namespace Fruits.Testing;

/// <summary>The repository's ONNX model, built from ../shared on first use like the product does.</summary>
public static class TestModel
{
    public static Task<ModelInfo> EnsureAsync() =>
        new ModelProvisioner().EnsureAsync(ModelLocations.DefaultModelPath(), TestPaths.WeightsDirectory);
}
