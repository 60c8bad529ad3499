using Fruits.Grains.Interfaces;
using Fruits.Pipeline.Plots;
using Fruits.Pipeline.Statistics;
using Fruits.Pipeline.Storage;

namespace Fruits.Grains;

/// <summary>
/// Between the grain contracts' plain data and the pipeline's types. The contracts depend on Orleans alone and the
/// pipeline not at all, so the grains, which use both, translate at their edges. Statistics and models share their
/// arrays with what they map from: a co-moment triangle is 6.5 MB and crosses once per silo per job.
/// </summary>
public static class ContractMapping
{
    public static StorageLocationData ToContract(this StorageLocation location) => new(location.Uri);

    public static StorageLocation ToPipeline(this StorageLocationData location) => new(location.Uri);

    public static PcaSelectionData ToContract(this PcaSelection selection) => new(selection.Threshold, selection.FixedK);

    public static PcaSelection ToPipeline(this PcaSelectionData selection) => new(selection.Threshold, selection.FixedK);

    /// <summary>Shares the arrays: call it only on statistics nobody writes again.</summary>
    public static MomentStatisticsData ToContract(this MomentStatistics statistics) => new()
    {
        Dimension = statistics.Dimension,
        Count = statistics.Count,
        Mean = statistics.Mean,
        CoMoment = statistics.CoMoment,
    };

    public static MomentStatistics ToPipeline(this MomentStatisticsData statistics) => new()
    {
        Dimension = statistics.Dimension,
        Count = statistics.Count,
        Mean = statistics.Mean,
        CoMoment = statistics.CoMoment,
    };

    public static PcaModelData ToContract(this PcaModel model) => new()
    {
        Dimension = model.Dimension,
        Count = model.Count,
        K = model.K,
        Mean = model.Mean,
        Components = model.Components,
        Eigenvalues = model.Eigenvalues,
        ExplainedVarianceRatio = model.ExplainedVarianceRatio,
        Selection = model.Selection.ToContract(),
    };

    public static PcaModel ToPipeline(this PcaModelData model) => new()
    {
        Dimension = model.Dimension,
        Count = model.Count,
        K = model.K,
        Mean = model.Mean,
        Components = model.Components,
        Eigenvalues = model.Eigenvalues,
        ExplainedVarianceRatio = model.ExplainedVarianceRatio,
        Selection = model.Selection.ToPipeline(),
    };

    public static ScatterPointData ToContract(this ScatterPoint point) => new(point.X, point.Y, point.Label);

    public static ScatterPoint ToPipeline(this ScatterPointData point) => new(point.X, point.Y, point.Label);

    public static StorageFaultException ToContract(this StorageException exception) =>
        new(exception.Message, exception.IsTransient, exception.InnerException);
}
