using Orleans.Runtime;

namespace Fruits.Grains;

/// <summary>
/// Failures that say a silo, not the work, is the problem: it died, left, or drains for shutdown. Work that met one
/// is given to a silo that is up instead of being failed.
/// </summary>
public static class SiloLoss
{
    public static bool Is(Exception e) => e switch
    {
        SiloDrainingException or SiloUnavailableException or TimeoutException or OrleansMessageRejectionException => true,
        _ when e.GetType().Name is "ConnectionFailedException" or "ConnectionAbortedException" or "ClientNotAvailableException" => true,
        _ => e.InnerException is { } inner && Is(inner),
    };
}
