namespace Fruits.Grains.Interfaces;

/// <summary>A fitted PCA as the aggregator returns it to its job; the grains map it to the pipeline's model.</summary>
/// <remarks>
/// Immutable: neither side writes the arrays after the fit, so a call within one silo passes them by reference
/// instead of copying the components.
/// </remarks>
[GenerateSerializer, Immutable, Alias("Fruits.PcaModel")]
public sealed record PcaModelData
{
    [Id(0)] public required int Dimension { get; init; }
    [Id(1)] public required long Count { get; init; }
    [Id(2)] public required int K { get; init; }

    /// <summary>Dimension feature means.</summary>
    [Id(3)] public required double[] Mean { get; init; }

    /// <summary>K x Dimension, row-major, by decreasing eigenvalue.</summary>
    [Id(4)] public required double[] Components { get; init; }

    /// <summary>All Dimension eigenvalues of the covariance (divisor n - 1), descending.</summary>
    [Id(5)] public required double[] Eigenvalues { get; init; }

    /// <summary>All Dimension explained-variance ratios, descending.</summary>
    [Id(6)] public required double[] ExplainedVarianceRatio { get; init; }

    [Id(7)] public required PcaSelectionData Selection { get; init; }
}
