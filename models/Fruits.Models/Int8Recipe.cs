namespace Fruits.Models;

/// <summary>
/// How MobileNetV2 is quantized to QDQ int8: weights are always int8, symmetric, per output channel; the
/// rest are the choices the fidelity study compares (docs/BENCHMARKS.md, "int8").
/// </summary>
/// <param name="SignedActivations">int8 activations (ReLU6 outputs asymmetric, the others symmetric) instead of uint8.</param>
/// <param name="Equalize">
/// Rescale each channel of a ReLU6 output so every channel fills the tensor's range, undoing the scale in the
/// consumer's weights: per-tensor activation scales otherwise leave small-range channels a few levels.
/// </param>
/// <param name="Headroom">
/// Equalization leaves each channel this multiple of its calibrated maximum before the shared clip at 6:
/// at 1 any value above what calibration saw would be clipped.
/// </param>
/// <param name="EqualizeStream">Also rescale the residual stream's channels (exact: it has no clip).</param>
/// <param name="ActivationBiasCorrection">
/// Also absorb the mean error each activation tensor's quantization (its rounding and its clipping) adds per
/// channel on the calibration images, in the biases of the convolutions that read it.
/// </param>
/// <param name="BiasCorrection">Subtract each quantized convolution's expected weight-rounding error from its bias.</param>
public sealed record Int8Recipe(
    string Name,
    ActivationCalibration Calibration = ActivationCalibration.MinMax,
    double Percentile = 99.99,
    bool SignedActivations = false,
    bool Equalize = false,
    bool BiasCorrection = false,
    bool FloatFirst = false,
    bool FloatDepthwise = false,
    bool FloatLast = false,
    float Headroom = 2f,
    bool EqualizeStream = false,
    bool ActivationBiasCorrection = false)
{
    /// <summary>
    /// The study's reference recipe (docs/BENCHMARKS.md, int8): every convolution quantized, within 0.001 mean
    /// cosine of the most faithful such recipe, and the one <c>Int8ModelBuildTests</c> builds.
    /// </summary>
    public static readonly Int8Recipe Best = new("eq-mse-bc", ActivationCalibration.Mse, Equalize: true, BiasCorrection: true);

    /// <summary>Largest factor a channel is scaled up by; near-dead channels would otherwise blow up.</summary>
    public const float MaxEqualizationScale = 64f;

    /// <summary>Recipes with the same key share one equalized calibration.</summary>
    public string EqualizationKey => $"{Equalize}/{Headroom}/{EqualizeStream}";

    public bool Equalizes => Equalize || EqualizeStream;

    public override string ToString() =>
        $"{Name}: activations {(SignedActivations ? "int8" : "uint8")} per tensor, {Calibration}"
        + (Calibration == ActivationCalibration.Percentile ? $" {Percentile}" : "")
        + (Equalize ? $", equalized (headroom {Headroom})" : "") + (EqualizeStream ? ", residual stream equalized" : "") + (BiasCorrection ? ", bias-corrected" : "") + (ActivationBiasCorrection ? ", activation bias corrected" : "")
        + (FloatFirst ? ", first conv float" : "") + (FloatDepthwise ? ", depthwise float" : "") + (FloatLast ? ", last conv float" : "");
}
