using Orleans.Runtime;

namespace Fruits.Grains.Placement;

/// <summary>Places a string-keyed grain on the silo whose parsable address is its key.</summary>
[GenerateSerializer, Immutable, Alias("Fruits.SiloBoundPlacementStrategy")]
public sealed class SiloBoundPlacementStrategy : PlacementStrategy;
