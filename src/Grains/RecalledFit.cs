using Fruits.Pipeline.Statistics;

namespace Fruits.Grains;

/// <summary>A job's fit (<see cref="StatisticsRecall.FitAsync"/>), how many of its rows' statistics were taken from the feature store, and the write that keeps what it computed there.</summary>
public sealed record RecalledFit(PcaModel Model, long RowsReused, Task Kept);
