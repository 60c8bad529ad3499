using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace Fruits.Grains.Placement;

public sealed class SiloBoundPlacementDirector : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var key = target.GrainIdentity.Key.ToString()!;
        var silo = SiloAddress.FromParsableString(key);
        // A dead or departed silo must not be silently replaced by another one: the caller
        // would then think it is feeding the wrong silo. Failing lets the job drop that silo.
        return context.GetCompatibleSilos(target).Contains(silo)
            ? Task.FromResult(silo)
            : throw new SiloUnavailableException($"silo {key} is not an active, compatible silo");
    }
}
