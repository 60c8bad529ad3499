using System.Net;
using Orleans;
using Orleans.Runtime;

namespace Fruits.IntegrationTests.Clustering;

/// <summary>Builds membership entries with every field set to a distinguishable value.</summary>
internal static class MembershipEntries
{
    public static MembershipEntry Create(int port, SiloStatus status = SiloStatus.Joining, int proxyPort = 0, DateTime? iAmAlive = null)
    {
        var now = DateTime.UtcNow;
        return new MembershipEntry
        {
            SiloAddress = SiloAddress.New(IPAddress.Loopback, port, 1000 + port),
            Status = status,
            HostName = $"host-{port}",
            SiloName = $"silo-{port}",
            RoleName = "fruits",
            ProxyPort = proxyPort,
            StartTime = now.AddMinutes(-5),
            IAmAliveTime = iAmAlive ?? now,
            UpdateZone = 3,
            FaultZone = 7,
            SuspectTimes = [],
        };
    }
}
