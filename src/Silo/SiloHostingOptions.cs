using Microsoft.Extensions.Configuration;

namespace Fruits.Silo;

/// <summary>How the silo joins a cluster, bound from configuration section "Fruits:Silo".</summary>
public sealed class SiloHostingOptions
{
    public const string Section = "Fruits:Silo";

    public const string Localhost = "Localhost";
    public const string DynamoDB = "DynamoDB";

    /// <summary>"Localhost" (one machine, the default) or "DynamoDB" (membership in the table of "Fruits:DynamoDB").</summary>
    public string Clustering { get; set; } = Localhost;

    /// <summary>
    /// The IP other silos and clients reach this silo on (DynamoDB clustering). Empty = the ECS task's
    /// address from the task metadata endpoint when present, else the first non-loopback IPv4.
    /// </summary>
    public string AdvertisedIP { get; set; } = "";

    public bool IsDynamoDB => string.Equals(Clustering, DynamoDB, StringComparison.OrdinalIgnoreCase);

    public static SiloHostingOptions From(Microsoft.Extensions.Configuration.IConfiguration configuration) =>
        configuration.GetSection(Section).Get<SiloHostingOptions>() ?? new SiloHostingOptions();

    public string ClusterId { get; set; } = "fruits";

    public string ServiceId { get; set; } = "fruits";

    public int SiloPort { get; set; } = 11111;

    public int GatewayPort { get; set; } = 30000;

    /// <summary>For localhost clustering with several silos on one machine: the first silo's port.</summary>
    public int PrimarySiloPort { get; set; } = 11111;

    /// <summary>
    /// How long a stopping silo (SIGTERM) has to finish the batches it is running before it leaves the cluster. Kept
    /// below the container's stop timeout (ECS StopTimeout, 120 s in deploy/ecs), after which the process is killed.
    /// </summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(100);
}
