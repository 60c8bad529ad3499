namespace Fruits.Models;

/// <summary>
/// MobileNetV2 in QDQ int8 form: QuantizeLinear/DequantizeLinear pairs on every activation tensor that a
/// quantized convolution reads or writes, int8 weights per output channel and int32 biases, so ONNX Runtime
/// can fuse each DQ-Conv-Q group into one quantized kernel. Input and output stay float32 and keep the float
/// model's names and shapes. The same walk also emits the float calibration model: the float graph (with the
/// recipe's equalization applied) that exposes every quantization point as an extra output.
/// </summary>
public sealed class MobileNetV2Int8Builder
{
    /// <summary>The float model whose extra outputs are the quantization points; <paramref name="points"/> names them in output order.</summary>
    public byte[] BuildCalibrationModel(WeightSet weights, IReadOnlyDictionary<string, float[]>? equalization, out IReadOnlyList<string> points)
    {
        var walk = new Walk(weights, null, null, equalization ?? new Dictionary<string, float[]>(), null);
        var bytes = walk.Build();
        points = walk.Points;
        return bytes;
    }

    /// <summary>The quantized model; <paramref name="stats"/> come from the calibration model built with <paramref name="equalization"/>.</summary>
    /// <param name="activationBias">
    /// Per point, the mean per-channel error its quantization adds on the calibration images
    /// (<see cref="Int8Recipe.ActivationBiasCorrection"/>): each consumer convolution's bias absorbs it, and
    /// the last convolution's, which the pooling passes straight into the features, is subtracted after it.
    /// </param>
    public byte[] Build(
        WeightSet weights,
        Int8Recipe recipe,
        IReadOnlyDictionary<string, TensorStats> stats,
        IReadOnlyDictionary<string, float[]>? equalization,
        IReadOnlyDictionary<string, float[]>? activationBias = null) =>
        new Walk(weights, recipe, stats, equalization ?? new Dictionary<string, float[]>(), activationBias).Build();

    /// <summary>The scale and zero point a quantization point gets under a recipe.</summary>
    public static (float Scale, int ZeroPoint) ActivationParameters(TensorStats tensor, Int8Recipe recipe)
    {
        var (lo, hi) = tensor.Range(recipe, 256);
        if (recipe.SignedActivations)
        {
            if (lo >= 0)
            {
                return (Math.Max(hi, 1e-8f) / 255f, -128);
            }

            var magnitude = Math.Max(Math.Max(-lo, hi), 1e-8f);
            return (magnitude / 127f, 0);
        }

        var scale = Math.Max(hi - lo, 1e-8f) / 255f;
        return (scale, Math.Clamp((int)Math.Round(-lo / scale), 0, 255));
    }

    /// <summary>
    /// Per-channel scales, keyed by the quantization point they scale (and by the convolution producing it).
    /// With <see cref="Int8Recipe.Equalize"/>, each ReLU6 output whose one consumer can take the inverse scale:
    /// channel c is scaled by the tensor's max over (the channel's max times the headroom), capped. With
    /// <see cref="Int8Recipe.EqualizeStream"/>, each stage's residual stream (the project outputs and sums of
    /// blocks with the same width), which is linear, so the same vector scales every tensor of the stage exactly.
    /// </summary>
    public static Dictionary<string, float[]> Equalization(IReadOnlyDictionary<string, TensorStats> stats, Int8Recipe recipe)
    {
        var scales = new Dictionary<string, float[]>(StringComparer.Ordinal);
        static float Scale(float whole, float channel, float headroom) =>
            channel > 0 ? Math.Clamp(whole / (channel * headroom), 1f, Int8Recipe.MaxEqualizationScale) : 1f;

        if (recipe.Equalize)
        {
            foreach (var (point, tensor) in stats.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                if (Walk.IsEqualizable(point))
                {
                    scales[point] = tensor.ChannelMax.Select(m => Scale(tensor.Max, m, recipe.Headroom)).ToArray();
                }
            }
        }

        if (recipe.EqualizeStream)
        {
            var stage = new List<string>();
            void Flush()
            {
                if (stage.Count == 0)
                {
                    return;
                }

                var channels = stats[stage[0]].Channels;
                var reach = Enumerable.Range(0, channels)
                    .Select(c => stage.Max(p => Math.Max(Math.Abs(stats[p].ChannelMin[c]), Math.Abs(stats[p].ChannelMax[c])))).ToArray();
                var whole = reach.Max();
                var vector = reach.Select(r => Scale(whole, r, 1f)).ToArray();
                stage.ForEach(p => scales[p] = vector);
                stage = [];
            }

            for (var block = 0; block < MobileNetV2OnnxBuilder.BlockStrides.Count; block++)
            {
                var prefix = block == 0 ? "MobilenetV2/expanded_conv" : $"MobilenetV2/expanded_conv_{block}";
                if (stage.Count > 0 && stats[stage[0]].Channels != stats[$"{prefix}/project"].Channels)
                {
                    Flush();
                }

                stage.Add($"{prefix}/project");
                if (stats.ContainsKey($"{prefix}/add"))
                {
                    stage.Add($"{prefix}/add");
                }
            }

            Flush();
        }

        return scales;
    }

    private sealed class Walk(
        WeightSet weights,
        Int8Recipe? recipe,
        IReadOnlyDictionary<string, TensorStats>? stats,
        IReadOnlyDictionary<string, float[]> equalization,
        IReadOnlyDictionary<string, float[]>? activationBias)
    {
        private const string First = "MobilenetV2/Conv";
        private const string Last = "MobilenetV2/Conv_1";

        private readonly OnnxGraph _graph = new(recipe is null ? "mobilenet_v2_1.0_224_calibration" : "mobilenet_v2_1.0_224_features_int8");
        private readonly List<string> _outputs = [];
        private string _zero = "";
        private string _six = "";

        public List<string> Points { get; } = [];

        private bool Calibrating => recipe is null;

        /// <summary>ReLU6 outputs read by exactly one convolution (or the pooling) that can take the inverse scale.</summary>
        public static bool IsEqualizable(string point) =>
            point == First || point == Last || point.EndsWith("/expand", StringComparison.Ordinal) || point.EndsWith("/depthwise", StringComparison.Ordinal);

        public byte[] Build()
        {
            _zero = _graph.Initializer("relu6_min", [], [0f]);
            _six = _graph.Initializer("relu6_max", [], [6f]);
            var input = Point("input", "input", quantize: !(recipe?.FloatFirst ?? false));

            var x = Conv(input, "input", First, "weights", 2, depthwise: false, relu6: true, keepFloat: recipe?.FloatFirst ?? false);
            var xPoint = First;
            var channels = weights["MobilenetV2/Conv/weights"][3];
            for (var block = 0; block < MobileNetV2OnnxBuilder.BlockStrides.Count; block++)
            {
                var prefix = block == 0 ? "MobilenetV2/expanded_conv" : $"MobilenetV2/expanded_conv_{block}";
                var stride = MobileNetV2OnnxBuilder.BlockStrides[block];
                var (h, hPoint) = (x, xPoint);
                if (block > 0)
                {
                    h = Conv(h, hPoint, $"{prefix}/expand", "weights", 1, depthwise: false, relu6: true, keepFloat: false);
                    hPoint = $"{prefix}/expand";
                }

                h = Conv(h, hPoint, $"{prefix}/depthwise", "depthwise_weights", stride, depthwise: true, relu6: true, keepFloat: recipe?.FloatDepthwise ?? false);
                hPoint = $"{prefix}/depthwise";
                var lastBlock = block == MobileNetV2OnnxBuilder.BlockStrides.Count - 1;
                h = Conv(h, hPoint, $"{prefix}/project", "weights", 1, depthwise: false, relu6: false, keepFloat: false,
                    quantizeOutput: !(lastBlock && (recipe?.FloatLast ?? false)));
                hPoint = $"{prefix}/project";
                var outChannels = weights[$"{prefix}/project/weights"][3];
                if (stride == 1 && outChannels == channels)
                {
                    h = Point(_graph.Node("Add", [x, h]), $"{prefix}/add", quantize: !(lastBlock && (recipe?.FloatLast ?? false)));
                    hPoint = $"{prefix}/add";
                }

                (x, xPoint) = (h, hPoint);
                channels = outChannels;
            }

            var floatLast = recipe?.FloatLast ?? false;
            x = Conv(x, xPoint, Last, "weights", 1, depthwise: false, relu6: true, keepFloat: floatLast, quantizeOutput: !floatLast);
            x = _graph.Node("GlobalAveragePool", [x]);
            x = _graph.Node("Flatten", [x], [("axis", 1)]);
            if (activationBias?.TryGetValue(Last, out var lastBias) == true && !floatLast)
            {
                var correction = _graph.Initializer($"{Last}/activation_bias_correction", [1, lastBias.Length], lastBias.Select(b => -b).ToArray());
                x = _graph.Node("Add", [x, correction]);
            }

            if (equalization.TryGetValue(Last, out var lastScales) && !floatLast)
            {
                var inverse = _graph.Initializer($"{Last}/equalization_inverse", [1, lastScales.Length], lastScales.Select(s => 1f / s).ToArray());
                x = _graph.Node("Mul", [x, inverse]);
            }

            return _graph.ToModel("input", [0, 3, 224, 224], x, "features", [0, 1280], MobileNetV2OnnxBuilder.Opset, _outputs);
        }

        /// <summary>Marks a quantization point: a calibration output, or a Q/DQ pair whose DQ output consumers read.</summary>
        private string Point(string tensor, string point, bool quantize)
        {
            if (Calibrating)
            {
                Points.Add(point);
                _outputs.Add(tensor);
                return tensor;
            }

            if (!quantize)
            {
                return tensor;
            }

            var (scale, zeroPoint) = ActivationScale(point);
            var scaleName = _graph.Initializer($"{point}/scale", [], [scale]);
            var zeroName = recipe!.SignedActivations
                ? _graph.Initializer($"{point}/zero_point", [], [(sbyte)zeroPoint])
                : _graph.Initializer($"{point}/zero_point", [], [(byte)zeroPoint]);
            var q = _graph.Node("QuantizeLinear", [tensor, scaleName, zeroName]);
            return _graph.Node("DequantizeLinear", [q, scaleName, zeroName]);
        }

        private (float Scale, int ZeroPoint) ActivationScale(string point) => ActivationParameters(stats![point], recipe!);

        private string Conv(string input, string inputPoint, string scope, string kernelName, int stride, bool depthwise, bool relu6, bool keepFloat, bool quantizeOutput = true)
        {
            var conv = MobileNetV2OnnxBuilder.Fold(weights, scope, kernelName, stride, depthwise);
            ApplyEqualization(conv, inputPoint);
            string y;
            if (Calibrating || keepFloat)
            {
                var w = _graph.Initializer($"{scope}/folded_weights", conv.Shape, conv.Weights);
                var b = _graph.Initializer($"{scope}/folded_bias", [conv.OutChannels], conv.Bias);
                y = _graph.Node("Conv", [input, w, b], conv.Attributes);
            }
            else
            {
                y = QuantizedConv(conv, input, inputPoint);
            }

            if (relu6)
            {
                y = _graph.Node("Clip", [y, _zero, _six]);
            }

            return Point(y, scope, quantizeOutput);
        }

        /// <summary>Scales this convolution's output channels by its own factors and divides its input channels by its producer's.</summary>
        private void ApplyEqualization(FoldedConv conv, string inputPoint)
        {
            if (equalization.TryGetValue(conv.Scope, out var outScales))
            {
                for (var o = 0; o < conv.OutChannels; o++)
                {
                    conv.Bias[o] *= outScales[o];
                    for (var k = 0; k < conv.PerChannel; k++)
                    {
                        conv.Weights[(o * conv.PerChannel) + k] *= outScales[o];
                    }
                }
            }

            if (equalization.TryGetValue(inputPoint, out var inScales))
            {
                var kernel = conv.Shape[2] * conv.Shape[3];
                for (var o = 0; o < conv.OutChannels; o++)
                {
                    for (var i = 0; i < conv.Shape[1]; i++)
                    {
                        var channel = conv.Depthwise ? o : i;
                        for (var k = 0; k < kernel; k++)
                        {
                            conv.Weights[(((o * conv.Shape[1]) + i) * kernel) + k] /= inScales[channel];
                        }
                    }
                }
            }
        }

        private string QuantizedConv(FoldedConv conv, string input, string inputPoint)
        {
            var (inputScale, _) = ActivationScale(inputPoint);
            var perChannel = conv.PerChannel;
            var q = new sbyte[conv.Weights.Length];
            var weightScale = new float[conv.OutChannels];
            var bias = (float[])conv.Bias.Clone();
            var means = recipe!.BiasCorrection ? stats![inputPoint].ChannelMean : null;
            var kernel = conv.Shape[2] * conv.Shape[3];
            for (var o = 0; o < conv.OutChannels; o++)
            {
                var row = conv.Weights.AsSpan(o * perChannel, perChannel);
                var maxAbs = 0f;
                foreach (var value in row)
                {
                    maxAbs = Math.Max(maxAbs, Math.Abs(value));
                }

                weightScale[o] = maxAbs > 0 ? maxAbs / 127f : 1f;
                double error = 0;
                for (var k = 0; k < perChannel; k++)
                {
                    var level = (sbyte)Math.Clamp(Math.Round(row[k] / weightScale[o]), -127, 127);
                    q[(o * perChannel) + k] = level;
                    if (means is not null)
                    {
                        var channel = conv.Depthwise ? o : k / kernel;
                        error += ((level * weightScale[o]) - row[k]) * means[channel];
                    }
                }

                bias[o] -= (float)error;
                if (activationBias?.TryGetValue(inputPoint, out var inputBias) == true)
                {
                    double shift = 0;
                    for (var k = 0; k < perChannel; k++)
                    {
                        shift += q[(o * perChannel) + k] * weightScale[o] * (double)inputBias[conv.Depthwise ? o : k / kernel];
                    }

                    bias[o] -= (float)shift;
                }
            }

            var scope = conv.Scope;
            var wq = _graph.Initializer($"{scope}/weights_quantized", conv.Shape, q);
            var ws = _graph.Initializer($"{scope}/weights_scale", [conv.OutChannels], weightScale);
            var wz = _graph.Initializer($"{scope}/weights_zero_point", [conv.OutChannels], new sbyte[conv.OutChannels]);
            var biasScale = weightScale.Select(s => s * inputScale).ToArray();
            var bq = bias.Select((b, o) => (int)Math.Clamp(Math.Round(b / biasScale[o]), int.MinValue, int.MaxValue)).ToArray();
            var bqName = _graph.Initializer($"{scope}/bias_quantized", [conv.OutChannels], bq);
            var bs = _graph.Initializer($"{scope}/bias_scale", [conv.OutChannels], biasScale);
            var bz = _graph.Initializer($"{scope}/bias_zero_point", [conv.OutChannels], new int[conv.OutChannels]);
            var w = _graph.Node("DequantizeLinear", [wq, ws, wz], [("axis", 0)]);
            var b = _graph.Node("DequantizeLinear", [bqName, bs, bz], [("axis", 0)]);
            return _graph.Node("Conv", [input, w, b], conv.Attributes);
        }
    }
}
