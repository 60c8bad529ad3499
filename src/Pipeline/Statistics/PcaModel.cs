namespace Fruits.Pipeline.Statistics;

/// <summary>A fitted PCA. Components are K x Dimension, row-major, sorted by decreasing eigenvalue.</summary>
public sealed record PcaModel
{
    public required int Dimension { get; init; }
    public required long Count { get; init; }
    public required int K { get; init; }
    public required double[] Mean { get; init; }
    public required double[] Components { get; init; }
    /// <summary>All Dimension eigenvalues of the covariance (divisor n - 1), descending.</summary>
    public required double[] Eigenvalues { get; init; }
    /// <summary>All Dimension explained-variance ratios, descending.</summary>
    public required double[] ExplainedVarianceRatio { get; init; }
    public required PcaSelection Selection { get; init; }

    public double VarianceKept => ExplainedVarianceRatio.AsSpan(0, K).ToArray().Sum();

    /// <summary>Running sums of <see cref="ExplainedVarianceRatio"/>; entry K - 1 is what k selection compared with the threshold.</summary>
    public double[] CumulativeExplainedVarianceRatio()
    {
        var cumulative = new double[ExplainedVarianceRatio.Length];
        var sum = 0.0;
        for (var i = 0; i < cumulative.Length; i++)
        {
            sum += ExplainedVarianceRatio[i];
            cumulative[i] = sum;
        }

        return cumulative;
    }
}
