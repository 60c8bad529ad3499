namespace Fruits.Pipeline.Statistics;

/// <summary>Covariance from merged statistics -> symmetric eigendecomposition -> sorted components -> k.</summary>
public sealed class PcaFitter
{
    public PcaModel Fit(MomentStatistics statistics, PcaSelection selection) => throw new NotImplementedException();
}
