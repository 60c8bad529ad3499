namespace Fruits.Pipeline.Featurizing;

/// <summary>One ONNX Runtime session over the MobileNetV2 feature graph: NCHW [N,3,224,224] in, [N,1280] out.</summary>
public sealed class OnnxFeaturizer : IDisposable
{
    public const int FeatureLength = 1280;

    public OnnxFeaturizer(string modelPath, int intraOpThreads = 1) => throw new NotImplementedException();

    /// <summary>Runs <paramref name="count"/> images from <paramref name="inputNchw"/> into <paramref name="output"/> (count x 1280).</summary>
    public void Run(ReadOnlySpan<float> inputNchw, int count, Span<float> output) => throw new NotImplementedException();

    public void Dispose() { }
}
