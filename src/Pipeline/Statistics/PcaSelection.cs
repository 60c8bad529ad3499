namespace Fruits.Pipeline.Statistics;

/// <summary>How many components to keep: the fewest reaching <see cref="Threshold"/> of the variance, or exactly <see cref="FixedK"/>.</summary>
[GenerateSerializer, Immutable]
public sealed record PcaSelection([property: Id(0)] double Threshold = 0.75, [property: Id(1)] int? FixedK = null);
