namespace Fruits.Grains.Interfaces;

/// <summary>
/// Count, mean and packed co-moment triangle of a set of feature vectors, as a silo hands them to the job's
/// aggregator. The triangle is 6.5 MB for 1280 features, so the grains map to and from the pipeline's statistics
/// by sharing these arrays, never copying them.
/// </summary>
/// <remarks>
/// Immutable, so a call within one silo passes the arrays by reference: whoever builds one hands over arrays it
/// never writes again (a snapshot of the silo's running statistics, or statistics rebuilt from a stored part), and
/// the aggregator only reads them into its own accumulator.
/// </remarks>
[GenerateSerializer, Immutable, Alias("Fruits.MomentStatistics")]
public sealed record MomentStatisticsData
{
    [Id(0)] public required int Dimension { get; init; }
    [Id(1)] public required long Count { get; init; }
    [Id(2)] public required double[] Mean { get; init; }

    /// <summary>The packed upper triangle of M2 = sum (x - mean)(x - mean)^T, row-major, i &lt;= j.</summary>
    [Id(3)] public required double[] CoMoment { get; init; }
}
