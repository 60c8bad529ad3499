using Fruits.Models;

namespace Fruits.IntegrationTests.Fidelity;

/// <summary>
/// An independent float64 forward pass of MobileNetV2 straight from the TF-layout tensors: explicit
/// BatchNorm (no folding), TF 'SAME' padding computed from the sizes, ReLU6, residuals and global
/// average pooling. Slow and plain on purpose: it is the yardstick for the ONNX graph.
/// </summary>
public sealed class ReferenceMobileNetV2(WeightSet weights)
{
    private const double Epsilon = 1e-3;

    /// <summary>(expansion t, output channels c, repeats n, first stride s), as in the MobileNetV2 paper.</summary>
    private static readonly (int T, int C, int N, int S)[] Stages =
        [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)];

    /// <summary>Features of one image given as CHW floats scaled to [-1, 1].</summary>
    public double[] Features(ReadOnlySpan<float> chw)
    {
        var x = new Map(3, 224, 224, chw.ToArray().Select(v => (double)v).ToArray());
        x = Relu6(BatchNorm(Conv(x, "MobilenetV2/Conv/weights", 2), "MobilenetV2/Conv"));
        var block = 0;
        foreach (var (t, c, n, s) in Stages)
        {
            for (var r = 0; r < n; r++, block++)
            {
                var prefix = block == 0 ? "MobilenetV2/expanded_conv" : $"MobilenetV2/expanded_conv_{block}";
                var stride = r == 0 ? s : 1;
                var h = x;
                if (t != 1)
                {
                    h = Relu6(BatchNorm(Conv(h, $"{prefix}/expand/weights", 1), $"{prefix}/expand"));
                }

                h = Relu6(BatchNorm(Depthwise(h, $"{prefix}/depthwise/depthwise_weights", stride), $"{prefix}/depthwise"));
                h = BatchNorm(Conv(h, $"{prefix}/project/weights", 1), $"{prefix}/project");
                if (stride == 1 && x.C == c)
                {
                    for (var i = 0; i < h.Data.Length; i++)
                    {
                        h.Data[i] += x.Data[i];
                    }
                }

                x = h;
            }
        }

        x = Relu6(BatchNorm(Conv(x, "MobilenetV2/Conv_1/weights", 1), "MobilenetV2/Conv_1"));
        var features = new double[x.C];
        for (var ch = 0; ch < x.C; ch++)
        {
            features[ch] = x.Data.AsSpan(ch * x.H * x.W, x.H * x.W).ToArray().Average();
        }

        return features;
    }

    private sealed record Map(int C, int H, int W, double[] Data);

    /// <summary>TF 'SAME': out = ceil(in / stride), the extra padding row/column goes at the bottom/right.</summary>
    private static (int Out, int Before) Same(int size, int kernel, int stride)
    {
        var output = (size + stride - 1) / stride;
        var total = Math.Max(((output - 1) * stride) + kernel - size, 0);
        return (output, total / 2);
    }

    /// <summary>A full convolution with a HWIO kernel.</summary>
    private Map Conv(Map x, string kernelName, int stride)
    {
        var k = weights[kernelName];
        var (kh, kw, cin, cout) = (k[0], k[1], k[2], k[3]);
        var (oh, padTop) = Same(x.H, kh, stride);
        var (ow, padLeft) = Same(x.W, kw, stride);
        var output = new double[cout * oh * ow];
        Parallel.For(0, cout, o =>
        {
            for (var y = 0; y < oh; y++)
            {
                for (var xo = 0; xo < ow; xo++)
                {
                    var sum = 0.0;
                    for (var dy = 0; dy < kh; dy++)
                    {
                        var iy = (y * stride) + dy - padTop;
                        if (iy < 0 || iy >= x.H)
                        {
                            continue;
                        }

                        for (var dx = 0; dx < kw; dx++)
                        {
                            var ix = (xo * stride) + dx - padLeft;
                            if (ix < 0 || ix >= x.W)
                            {
                                continue;
                            }

                            for (var i = 0; i < cin; i++)
                            {
                                sum += x.Data[(((i * x.H) + iy) * x.W) + ix] * k.Data[(((((dy * kw) + dx) * cin) + i) * cout) + o];
                            }
                        }
                    }

                    output[(((o * oh) + y) * ow) + xo] = sum;
                }
            }
        });
        return new Map(cout, oh, ow, output);
    }

    /// <summary>A depthwise convolution with a HW C 1 kernel.</summary>
    private Map Depthwise(Map x, string kernelName, int stride)
    {
        var k = weights[kernelName];
        var (kh, kw) = (k[0], k[1]);
        var (oh, padTop) = Same(x.H, kh, stride);
        var (ow, padLeft) = Same(x.W, kw, stride);
        var output = new double[x.C * oh * ow];
        Parallel.For(0, x.C, c =>
        {
            for (var y = 0; y < oh; y++)
            {
                for (var xo = 0; xo < ow; xo++)
                {
                    var sum = 0.0;
                    for (var dy = 0; dy < kh; dy++)
                    {
                        for (var dx = 0; dx < kw; dx++)
                        {
                            var iy = (y * stride) + dy - padTop;
                            var ix = (xo * stride) + dx - padLeft;
                            if (iy >= 0 && iy < x.H && ix >= 0 && ix < x.W)
                            {
                                sum += x.Data[(((c * x.H) + iy) * x.W) + ix] * k.Data[(((dy * kw) + dx) * x.C) + c];
                            }
                        }
                    }

                    output[(((c * oh) + y) * ow) + xo] = sum;
                }
            }
        });
        return new Map(x.C, oh, ow, output);
    }

    private Map BatchNorm(Map x, string scope)
    {
        var gamma = weights[$"{scope}/BatchNorm/gamma"].Data;
        var beta = weights[$"{scope}/BatchNorm/beta"].Data;
        var mean = weights[$"{scope}/BatchNorm/moving_mean"].Data;
        var variance = weights[$"{scope}/BatchNorm/moving_variance"].Data;
        var plane = x.H * x.W;
        for (var c = 0; c < x.C; c++)
        {
            var std = Math.Sqrt(variance[c] + Epsilon);
            for (var i = c * plane; i < (c + 1) * plane; i++)
            {
                x.Data[i] = ((x.Data[i] - mean[c]) / std * gamma[c]) + beta[c];
            }
        }

        return x;
    }

    private static Map Relu6(Map x)
    {
        for (var i = 0; i < x.Data.Length; i++)
        {
            x.Data[i] = Math.Clamp(x.Data[i], 0, 6);
        }

        return x;
    }
}
