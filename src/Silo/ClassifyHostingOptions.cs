using System.Net;
using Microsoft.Extensions.Configuration;

namespace Fruits.Silo;

/// <summary>The classifier's HTTP endpoint and page on a silo, bound from configuration section "Fruits:Classify". Off unless enabled.</summary>
public sealed class ClassifyHostingOptions
{
    public const string Section = "Fruits:Classify";

    /// <summary>Off by default, like the dashboard: it has no authentication, and each request costs an inference.</summary>
    public bool Enabled { get; set; }

    public int Port { get; set; } = 8081;

    /// <summary>Loopback by default, so an enabled endpoint is not on the network by accident.</summary>
    public string ListenAddress { get; set; } = "127.0.0.1";

    /// <summary>The output a request without ?output= classifies against (what `fruits serve OUTPUT` names); empty = none.</summary>
    public string Output { get; set; } = "";

    /// <summary>The largest photo accepted, in bytes (413 above it); the job's decoder refuses larger files too.</summary>
    public long MaxBodyBytes { get; set; } = Fruits.Pipeline.Imaging.ImageLimits.Default.MaxBytes;

    public static ClassifyHostingOptions From(IConfiguration configuration) =>
        configuration.GetSection(Section).Get<ClassifyHostingOptions>() ?? new ClassifyHostingOptions();

    /// <summary>Fails at startup, not at the first request, on a port or address that cannot work.</summary>
    public IPEndPoint EndPoint()
    {
        if (Port is < 1 or > 65535)
        {
            throw new InvalidOperationException($"Fruits:Classify:Port must be within [1, 65535], got {Port}");
        }

        return IPAddress.TryParse(ListenAddress, out var address)
            ? new IPEndPoint(address, Port)
            : throw new InvalidOperationException($"Fruits:Classify:ListenAddress '{ListenAddress}' is not an IP address");
    }
}
