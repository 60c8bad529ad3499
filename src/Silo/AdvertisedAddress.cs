using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Fruits.Silo.Ecs;

namespace Fruits.Silo;

/// <summary>Decides which IP a silo advertises in the membership table, and says where it came from.</summary>
public static class AdvertisedAddress
{
    public static async Task<(IPAddress Address, string Source)> ResolveAsync(SiloHostingOptions hosting, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(hosting.AdvertisedIP, out var configured))
        {
            return (configured, "configuration (Fruits:Silo:AdvertisedIP)");
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        if (await EcsTaskMetadata.TryGetTaskIPv4Async(http, Environment.GetEnvironmentVariable(EcsTaskMetadata.MetadataUriVariable), cancellationToken) is { } ecs)
        {
            return (ecs, "the ECS task metadata endpoint");
        }

        var interfaceAddress = NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork);
        return interfaceAddress is not null
            ? (interfaceAddress, "the first non-loopback network interface")
            : (IPAddress.Loopback, "loopback (no other interface found)");
    }
}
