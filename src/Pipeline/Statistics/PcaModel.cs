namespace Fruits.Pipeline.Statistics;

/// <summary>A fitted PCA. Components are K x Dimension, row-major, sorted by decreasing eigenvalue.</summary>
[GenerateSerializer, Immutable]
public sealed record PcaModel
{
    [Id(0)] public required int Dimension { get; init; }
    [Id(1)] public required long Count { get; init; }
    [Id(2)] public required int K { get; init; }
    [Id(3)] public required double[] Mean { get; init; }
    [Id(4)] public required double[] Components { get; init; }
    /// <summary>All Dimension eigenvalues of the covariance (divisor n - 1), descending.</summary>
    [Id(5)] public required double[] Eigenvalues { get; init; }
    /// <summary>All Dimension explained-variance ratios, descending.</summary>
    [Id(6)] public required double[] ExplainedVarianceRatio { get; init; }
    [Id(7)] public required PcaSelection Selection { get; init; }

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
