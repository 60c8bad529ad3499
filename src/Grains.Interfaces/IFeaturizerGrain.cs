namespace Fruits.Grains.Interfaces;

/// <summary>Read -> decode/resize -> ONNX -> features part + partial statistics, for one batch.</summary>
[Alias("Fruits.IFeaturizerGrain")]
public interface IFeaturizerGrain : IGrainWithIntegerKey
{
    [Alias("Featurize"), ResponseTimeout("00:10:00")]
    Task<BatchResult> Featurize(FeaturizeRequest request);
}
