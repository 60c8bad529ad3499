namespace Fruits.Clustering.DynamoDB;

/// <summary>
/// Attribute names of the clustering table. The two key attributes are the official provider's, so one table serves
/// both; the other names and the version row are ours, which is why one cluster never mixes the two (see the README).
/// </summary>
internal static class MembershipAttributes
{
    public const string DeploymentId = "DeploymentId";
    public const string SiloIdentity = "SiloIdentity";

    /// <summary>Sort key of the per-cluster row that carries the table version.</summary>
    public const string VersionRowKey = "VERSION";

    public const string Version = "Version";
    public const string VersionEtag = "VersionEtag";

    public const string ETag = "ETag";
    public const string Status = "Status";
    public const string HostName = "HostName";
    public const string SiloName = "SiloName";
    public const string RoleName = "RoleName";
    public const string ProxyPort = "ProxyPort";
    public const string StartTime = "StartTime";
    public const string IAmAliveTime = "IAmAliveTime";
    public const string SuspectTimes = "SuspectTimes";
    public const string UpdateZone = "UpdateZone";
    public const string FaultZone = "FaultZone";
}
