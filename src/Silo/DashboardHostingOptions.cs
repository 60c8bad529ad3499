using System.Net;
using Microsoft.Extensions.Configuration;

namespace Fruits.Silo;

/// <summary>The Orleans Dashboard on a silo, bound from configuration section "Fruits:Dashboard". Off unless enabled.</summary>
public sealed class DashboardHostingOptions
{
    public const string Section = "Fruits:Dashboard";

    /// <summary>
    /// Off by default: the dashboard has no authentication and its grain profiler filters every grain call,
    /// so a deployment has to ask for it.
    /// </summary>
    public bool Enabled { get; set; }

    /// <summary>The HTTP port the dashboard listens on.</summary>
    public int Port { get; set; } = 8080;

    /// <summary>
    /// The address the dashboard listens on: loopback by default so an enabled dashboard is not on the network
    /// by accident. Reach it from elsewhere through an SSH or SSM port forwarding tunnel (README), not by listening on
    /// a public address: the dashboard has no authentication.
    /// </summary>
    public string ListenAddress { get; set; } = "127.0.0.1";

    public static DashboardHostingOptions From(IConfiguration configuration) =>
        configuration.GetSection(Section).Get<DashboardHostingOptions>() ?? new DashboardHostingOptions();

    /// <summary>Fails at startup, not at the first request, on a port or address that cannot work.</summary>
    public IPEndPoint EndPoint()
    {
        if (Port is < 1 or > 65535)
        {
            throw new InvalidOperationException($"Fruits:Dashboard:Port must be within [1, 65535], got {Port}");
        }

        return IPAddress.TryParse(ListenAddress, out var address)
            ? new IPEndPoint(address, Port)
            : throw new InvalidOperationException($"Fruits:Dashboard:ListenAddress '{ListenAddress}' is not an IP address");
    }
}
