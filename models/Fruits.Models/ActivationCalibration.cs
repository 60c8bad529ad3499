namespace Fruits.Models;

/// <summary>How an activation tensor's quantization range is chosen from what calibration saw.</summary>
public enum ActivationCalibration
{
    /// <summary>The smallest and largest value seen.</summary>
    MinMax,

    /// <summary>The recipe's percentile of the values seen (and its mirror for the low end of signed tensors).</summary>
    Percentile,

    /// <summary>The clipping range that minimizes the expected squared quantization error over the histogram.</summary>
    Mse,
}
