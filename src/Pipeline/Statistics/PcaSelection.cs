namespace Fruits.Pipeline.Statistics;

/// <summary>How many components to keep: the fewest reaching <see cref="Threshold"/> of the variance, or exactly <see cref="FixedK"/>.</summary>
public sealed record PcaSelection(double Threshold = 0.75, int? FixedK = null);
