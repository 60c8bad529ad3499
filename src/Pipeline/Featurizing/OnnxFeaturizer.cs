using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Fruits.Pipeline.Featurizing;

/// <summary>One ONNX Runtime session over the MobileNetV2 feature graph: NCHW [N,3,224,224] in, [N,1280] out.</summary>
public sealed class OnnxFeaturizer : IDisposable
{
    public const int FeatureLength = 1280;
    private const int ImageLength = 3 * 224 * 224;

    private static readonly string[] InputNames = ["input"];
    private static readonly string[] OutputNames = ["features"];

    private readonly InferenceSession _session;
    private readonly RunOptions _run = new();
    private readonly Dictionary<int, (long[] Input, long[] Output)> _shapes = [];

    public OnnxFeaturizer(string modelPath, int intraOpThreads = 1)
    {
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = Math.Max(1, intraOpThreads),
            InterOpNumThreads = 1,
        };
        _session = new InferenceSession(modelPath, options);
    }

    /// <summary>Runs <paramref name="count"/> images from <paramref name="inputNchw"/> into <paramref name="output"/> (count x 1280).</summary>
    public unsafe void Run(ReadOnlySpan<float> inputNchw, int count, Span<float> output)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inputNchw.Length, count * ImageLength);
        ArgumentOutOfRangeException.ThrowIfLessThan(output.Length, count * FeatureLength);
        if (!_shapes.TryGetValue(count, out var shapes))
        {
            shapes = _shapes[count] = ([count, 3, 224, 224], [count, FeatureLength]);
        }

        // Tensors are views over the caller's buffers: no copies in or out.
        fixed (float* input = inputNchw)
        fixed (float* features = output)
        {
            using var inputValue = OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, TensorElementType.Float, shapes.Input, (IntPtr)input, (long)count * ImageLength * sizeof(float));
            using var outputValue = OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, TensorElementType.Float, shapes.Output, (IntPtr)features, (long)count * FeatureLength * sizeof(float));
            _session.Run(_run, InputNames, [inputValue], OutputNames, [outputValue]);
        }
    }

    public void Dispose()
    {
        _run.Dispose();
        _session.Dispose();
    }
}
