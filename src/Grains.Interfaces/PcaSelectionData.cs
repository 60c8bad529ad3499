namespace Fruits.Grains.Interfaces;

/// <summary>
/// How many components to keep: the fewest reaching <see cref="Threshold"/> of the variance, or exactly
/// <see cref="FixedK"/>. <see cref="JobSpec.Validate"/> holds the rules for both.
/// </summary>
/// <remarks>The field ids are the ones jobs were stored with, so stored jobs stay readable.</remarks>
[GenerateSerializer, Immutable, Alias("Fruits.PcaSelection")]
public sealed record PcaSelectionData([property: Id(0)] double Threshold = PcaSelectionData.DefaultThreshold, [property: Id(1)] int? FixedK = null)
{
    public const double DefaultThreshold = 0.75;
}
