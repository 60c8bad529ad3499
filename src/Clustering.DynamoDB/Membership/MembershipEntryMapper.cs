using System.Globalization;
using Amazon.DynamoDBv2.Model;
using Orleans;
using Orleans.Runtime;
using A = Fruits.Clustering.DynamoDB.MembershipAttributes;

namespace Fruits.Clustering.DynamoDB;

/// <summary>Converts between <see cref="MembershipEntry"/> and DynamoDB items.</summary>
internal static class MembershipEntryMapper
{
    // Silo parsable strings never contain these characters (ip:port@generation, IPv6 in brackets).
    private const char SuspectSeparator = '|';
    private const char SuspectFieldSeparator = ',';

    public static Dictionary<string, AttributeValue> Key(string clusterId, string siloIdentity) => new()
    {
        [A.DeploymentId] = new AttributeValue { S = clusterId },
        [A.SiloIdentity] = new AttributeValue { S = siloIdentity },
    };

    public static Dictionary<string, AttributeValue> VersionKey(string clusterId) => Key(clusterId, A.VersionRowKey);

    public static Dictionary<string, AttributeValue> ToItem(string clusterId, MembershipEntry entry, string etag)
    {
        var item = Key(clusterId, entry.SiloAddress.ToParsableString());
        item[A.ETag] = new AttributeValue { S = etag };
        item[A.Status] = Number((int)entry.Status);
        item[A.ProxyPort] = Number(entry.ProxyPort);
        item[A.StartTime] = new AttributeValue { S = FormatTime(entry.StartTime) };
        item[A.IAmAliveTime] = new AttributeValue { S = FormatTime(entry.IAmAliveTime) };
        item[A.UpdateZone] = Number(entry.UpdateZone);
        item[A.FaultZone] = Number(entry.FaultZone);
        AddIfNotEmpty(item, A.HostName, entry.HostName);
        AddIfNotEmpty(item, A.SiloName, entry.SiloName);
        AddIfNotEmpty(item, A.RoleName, entry.RoleName);
        AddIfNotEmpty(item, A.SuspectTimes, FormatSuspectTimes(entry.SuspectTimes));
        return item;
    }

    public static (MembershipEntry Entry, string ETag) FromItem(Dictionary<string, AttributeValue> item)
    {
        var entry = new MembershipEntry
        {
            SiloAddress = SiloAddress.FromParsableString(item[A.SiloIdentity].S),
            Status = (SiloStatus)ReadInt(item, A.Status),
            ProxyPort = ReadInt(item, A.ProxyPort),
            StartTime = ParseTime(item[A.StartTime].S),
            IAmAliveTime = ParseTime(item[A.IAmAliveTime].S),
            UpdateZone = ReadInt(item, A.UpdateZone),
            FaultZone = ReadInt(item, A.FaultZone),
            HostName = ReadString(item, A.HostName),
            SiloName = ReadString(item, A.SiloName),
            RoleName = ReadString(item, A.RoleName),
            SuspectTimes = ParseSuspectTimes(ReadString(item, A.SuspectTimes)),
        };
        return (entry, item[A.ETag].S);
    }

    public static TableVersion ToTableVersion(Dictionary<string, AttributeValue>? versionItem) =>
        versionItem is null || versionItem.Count == 0
            // No version row yet: an etag that can never match, so writes fail until a silo initializes the table.
            ? new TableVersion(0, string.Empty)
            : new TableVersion(ReadInt(versionItem, A.Version), versionItem[A.VersionEtag].S);

    public static AttributeValue Number(int value) => new() { N = value.ToString(CultureInfo.InvariantCulture) };

    public static string FormatTime(DateTime time) => ToUtc(time).ToString("O", CultureInfo.InvariantCulture);

    private static DateTime ParseTime(string text) =>
        DateTime.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);

    // Orleans stamps entries with UtcNow; an Unspecified kind is taken as UTC rather than shifted by the local zone.
    private static DateTime ToUtc(DateTime time) => time.Kind switch
    {
        DateTimeKind.Local => time.ToUniversalTime(),
        DateTimeKind.Unspecified => DateTime.SpecifyKind(time, DateTimeKind.Utc),
        _ => time,
    };

    private static string FormatSuspectTimes(List<Tuple<SiloAddress, DateTime>>? suspectTimes) =>
        suspectTimes is null
            ? string.Empty
            : string.Join(SuspectSeparator, suspectTimes.Select(s => s.Item1.ToParsableString() + SuspectFieldSeparator + FormatTime(s.Item2)));

    private static List<Tuple<SiloAddress, DateTime>> ParseSuspectTimes(string text) =>
        text.Split(SuspectSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(part =>
            {
                var comma = part.LastIndexOf(SuspectFieldSeparator);
                return Tuple.Create(SiloAddress.FromParsableString(part[..comma]), ParseTime(part[(comma + 1)..]));
            })
            .ToList();

    private static void AddIfNotEmpty(Dictionary<string, AttributeValue> item, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            item[name] = new AttributeValue { S = value };
        }
    }

    private static string ReadString(Dictionary<string, AttributeValue> item, string name) =>
        item.TryGetValue(name, out var value) && value.S is not null ? value.S : string.Empty;

    private static int ReadInt(Dictionary<string, AttributeValue> item, string name) =>
        item.TryGetValue(name, out var value) && value.N is not null ? int.Parse(value.N, CultureInfo.InvariantCulture) : 0;
}
