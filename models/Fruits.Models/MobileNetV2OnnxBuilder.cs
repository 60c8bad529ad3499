namespace Fruits.Models;

/// <summary>
/// Keras MobileNetV2(alpha=1.0, 224x224x3, include_top=False) followed by global average pooling, as ONNX:
/// input "input" float32 [N,3,224,224] (already scaled to [-1, 1]), output "features" float32 [N,1280].
/// BatchNorm (epsilon 1e-3) is folded into the convolutions in double precision.
/// </summary>
public sealed class MobileNetV2OnnxBuilder
{
    public const double BatchNormEpsilon = 1e-3;
    public const int Opset = 13;

    /// <summary>Stride of each inverted-residual block (expanded_conv, expanded_conv_1 .. _16).</summary>
    public static readonly IReadOnlyList<int> BlockStrides = [1, 2, 1, 2, 1, 1, 2, 1, 1, 1, 1, 1, 1, 2, 1, 1, 1];

    public byte[] Build(WeightSet weights)
    {
        var graph = new OnnxGraph("mobilenet_v2_1.0_224_features");
        var zero = graph.Initializer("relu6_min", [], [0f]);
        var six = graph.Initializer("relu6_max", [], [6f]);
        string Relu6(string x) => graph.Node("Clip", [x, zero, six]);

        var x = Relu6(Conv(graph, weights, "input", "MobilenetV2/Conv", "weights", stride: 2, depthwise: false));
        var channels = weights["MobilenetV2/Conv/weights"][3];
        for (var block = 0; block < BlockStrides.Count; block++)
        {
            var prefix = block == 0 ? "MobilenetV2/expanded_conv" : $"MobilenetV2/expanded_conv_{block}";
            var stride = BlockStrides[block];
            var h = x;
            if (block > 0)
            {
                h = Relu6(Conv(graph, weights, h, $"{prefix}/expand", "weights", 1, depthwise: false));
            }

            h = Relu6(Conv(graph, weights, h, $"{prefix}/depthwise", "depthwise_weights", stride, depthwise: true));
            h = Conv(graph, weights, h, $"{prefix}/project", "weights", 1, depthwise: false);
            var outChannels = weights[$"{prefix}/project/weights"][3];
            if (stride == 1 && outChannels == channels)
            {
                h = graph.Node("Add", [x, h]);
            }

            x = h;
            channels = outChannels;
        }

        x = Relu6(Conv(graph, weights, x, "MobilenetV2/Conv_1", "weights", 1, depthwise: false));
        x = graph.Node("GlobalAveragePool", [x]);
        x = graph.Node("Flatten", [x], [("axis", 1)]);
        return graph.ToModel("input", [0, 3, 224, 224], x, "features", [0, 1280], Opset);
    }

    /// <summary>A convolution (TF HWIO or depthwise HWC1 kernel) with its BatchNorm folded in, as an ONNX Conv node.</summary>
    private static string Conv(OnnxGraph graph, WeightSet weights, string input, string scope, string kernelName, int stride, bool depthwise)
    {
        var conv = Fold(weights, scope, kernelName, stride, depthwise);
        var weightName = graph.Initializer($"{scope}/folded_weights", conv.Shape, conv.Weights);
        var biasName = graph.Initializer($"{scope}/folded_bias", [conv.OutChannels], conv.Bias);
        return graph.Node("Conv", [input, weightName, biasName], conv.Attributes);
    }

    /// <summary>Folds BatchNorm into a TF HWIO (or depthwise HWC1) kernel in double precision; OIHW out.</summary>
    public static FoldedConv Fold(WeightSet weights, string scope, string kernelName, int stride, bool depthwise)
    {
        var kernel = weights[$"{scope}/{kernelName}"];
        var (kh, kw) = (kernel[0], kernel[1]);
        var inChannels = kernel[2];
        var outChannels = depthwise ? inChannels * kernel[3] : kernel[3];
        var gamma = weights[$"{scope}/BatchNorm/gamma"].Data;
        var beta = weights[$"{scope}/BatchNorm/beta"].Data;
        var mean = weights[$"{scope}/BatchNorm/moving_mean"].Data;
        var variance = weights[$"{scope}/BatchNorm/moving_variance"].Data;

        var groupIn = depthwise ? 1 : inChannels;
        var w = new float[outChannels * groupIn * kh * kw];
        var b = new float[outChannels];
        for (var o = 0; o < outChannels; o++)
        {
            var scale = gamma[o] / Math.Sqrt(variance[o] + BatchNormEpsilon);
            b[o] = (float)(beta[o] - (mean[o] * scale));
            for (var i = 0; i < groupIn; i++)
            {
                for (var y = 0; y < kh; y++)
                {
                    for (var xk = 0; xk < kw; xk++)
                    {
                        // HWIO (or HW C 1 for depthwise) -> OIHW
                        var source = depthwise
                            ? (((y * kw) + xk) * inChannels) + o
                            : (((((y * kw) + xk) * inChannels) + i) * outChannels) + o;
                        w[(((((o * groupIn) + i) * kh) + y) * kw) + xk] = (float)(kernel.Data[source] * scale);
                    }
                }
            }
        }

        return new FoldedConv(scope, w, b, [outChannels, groupIn, kh, kw], depthwise, stride);
    }
}
