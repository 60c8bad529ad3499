using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Fruits.Pipeline.Featurizing;

/// <summary>
/// One ONNX Runtime session over the MobileNetV2 feature graph: NCHW [N,3,224,224] in, [N,1280] out.
/// It owns pinned input and output buffers bound to the session once per batch size, so a run after the
/// first of its size allocates nothing: callers preprocess straight into <see cref="InputSlot"/> and read
/// <see cref="Features"/>. Not thread-safe; one per worker.
/// </summary>
public sealed class OnnxFeaturizer : IDisposable
{
    public const int FeatureLength = 1280;
    public const int ImageLength = 3 * 224 * 224;

    private const string InputName = "input";
    private const string OutputName = "features";

    private readonly InferenceSession _session;
    private readonly RunOptions _run = new();
    private readonly float[] _input;
    private readonly float[] _output;
    private readonly OrtIoBinding?[] _bindings;
    private readonly List<IDisposable> _owned = [];

    /// <param name="optimization">Graph rewrites ONNX Runtime applies at load; the bench compares levels.</param>
    /// <param name="prepackWeights">Lets kernels re-lay out constant weights once at load instead of per run.</param>
    public OnnxFeaturizer(
        string modelPath,
        int intraOpThreads = 1,
        int maxBatch = 1,
        GraphOptimizationLevel optimization = GraphOptimizationLevel.ORT_ENABLE_ALL,
        bool prepackWeights = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBatch);
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = optimization,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = Math.Max(1, intraOpThreads),
            InterOpNumThreads = 1,
        };
        if (!prepackWeights)
        {
            options.AddSessionConfigEntry("session.disable_prepacking", "1");
        }

        _session = new InferenceSession(modelPath, options);
        MaxBatch = maxBatch;
        _input = GC.AllocateArray<float>(maxBatch * ImageLength, pinned: true);
        _output = GC.AllocateArray<float>(maxBatch * FeatureLength, pinned: true);
        _bindings = new OrtIoBinding?[maxBatch + 1];
    }

    public int MaxBatch { get; }

    /// <summary>Where image <paramref name="index"/> of the next <see cref="Run(int)"/> goes (CHW, <see cref="ImageLength"/> floats).</summary>
    public Span<float> InputSlot(int index) => _input.AsSpan(Slot(index) * ImageLength, ImageLength);

    /// <summary>Features of image <paramref name="index"/> from the last <see cref="Run(int)"/>; overwritten by the next.</summary>
    public ReadOnlySpan<float> Features(int index) => _output.AsSpan(Slot(index) * FeatureLength, FeatureLength);

    /// <summary>Featurizes the first <paramref name="count"/> input slots.</summary>
    public void Run(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, MaxBatch);
        _session.RunWithBinding(_run, _bindings[count] ??= Bind(count));
    }

    /// <summary>Convenience for whole arrays (tests, the naive baseline): copies through the bound buffers in chunks of <see cref="MaxBatch"/>.</summary>
    public void Run(ReadOnlySpan<float> inputNchw, int count, Span<float> output)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inputNchw.Length, count * ImageLength);
        ArgumentOutOfRangeException.ThrowIfLessThan(output.Length, count * FeatureLength);
        for (var first = 0; first < count; first += MaxBatch)
        {
            var n = Math.Min(MaxBatch, count - first);
            inputNchw.Slice(first * ImageLength, n * ImageLength).CopyTo(_input);
            Run(n);
            _output.AsSpan(0, n * FeatureLength).CopyTo(output.Slice(first * FeatureLength));
        }
    }

    public void Dispose()
    {
        foreach (var owned in _owned)
        {
            owned.Dispose();
        }

        _run.Dispose();
        _session.Dispose();
    }

    private OrtIoBinding Bind(int count)
    {
        // The arrays are pinned for their lifetime, so tensors over their first `count` images stay valid.
        var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _input.AsMemory(0, count * ImageLength), [count, 3, 224, 224]);
        var output = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _output.AsMemory(0, count * FeatureLength), [count, FeatureLength]);
        var binding = _session.CreateIoBinding();
        binding.BindInput(InputName, input);
        binding.BindOutput(OutputName, output);
        _owned.Add(input);
        _owned.Add(output);
        _owned.Add(binding);
        return binding;
    }

    private int Slot(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, MaxBatch);
        return index;
    }
}
