namespace Fruits.Silo;

/// <summary>How the silo joins a cluster, bound from configuration section "Fruits:Silo".</summary>
public sealed class SiloHostingOptions
{
    public const string Section = "Fruits:Silo";

    /// <summary>"Localhost" (a single machine, the default).</summary>
    public string Clustering { get; set; } = "Localhost";

    public string ClusterId { get; set; } = "fruits";

    public string ServiceId { get; set; } = "fruits";

    public int SiloPort { get; set; } = 11111;

    public int GatewayPort { get; set; } = 30000;

    /// <summary>For localhost clustering with several silos on one machine: the first silo's port.</summary>
    public int PrimarySiloPort { get; set; } = 11111;
}
