using System.Text.Json.Serialization;

namespace Fruits.Pipeline.Output;

/// <summary>What <see cref="OutputLayout.Lock"/> says: which job holds the output, on which silo or host, since when.</summary>
[GenerateSerializer, Immutable]
public sealed record OutputLockHolder(
    [property: Id(0), JsonPropertyName("job_id")] string JobId,
    [property: Id(1), JsonPropertyName("owner")] string Owner,
    [property: Id(2), JsonPropertyName("acquired_utc")] DateTimeOffset AcquiredUtc)
{
    /// <summary>Stands for a lock file that exists but does not parse; it can still be taken over.</summary>
    public static OutputLockHolder Unreadable { get; } = new("", "(unreadable lock file)", DateTimeOffset.MinValue);

    public override string ToString() => $"job '{JobId}' on {Owner} since {AcquiredUtc:u}";
}
