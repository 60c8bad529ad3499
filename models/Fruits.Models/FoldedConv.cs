namespace Fruits.Models;

/// <summary>
/// One convolution of the graph with its BatchNorm folded in: OIHW weights (I = 1 for depthwise), a bias per
/// output channel, and the ONNX attributes it needs.
/// </summary>
public sealed record FoldedConv(string Scope, float[] Weights, float[] Bias, int[] Shape, bool Depthwise, int Stride)
{
    public int OutChannels => Shape[0];

    /// <summary>Weights per output channel (input channels x kernel height x kernel width).</summary>
    public int PerChannel => Shape[1] * Shape[2] * Shape[3];

    // Keras pads stride-2 convolutions (0,1) top/left-bottom/right (correct_pad, TF 'SAME' on even sizes).
    public int[] Pads => Shape[2] == 1 ? [0, 0, 0, 0] : Stride == 2 ? [0, 0, 1, 1] : [1, 1, 1, 1];

    public IReadOnlyList<(string Name, object Value)> Attributes =>
    [
        ("group", Depthwise ? OutChannels : 1),
        ("kernel_shape", new[] { Shape[2], Shape[3] }),
        ("pads", Pads),
        ("strides", new[] { Stride, Stride }),
    ];
}
