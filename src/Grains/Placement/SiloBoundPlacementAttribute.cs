using Orleans.Placement;

namespace Fruits.Grains.Placement;

[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class SiloBoundPlacementAttribute() : PlacementAttribute(new SiloBoundPlacementStrategy());
