using System.Text.Json.Serialization;

namespace Fruits.Pipeline.Output;

/// <summary>What <see cref="OutputLayout.Lock"/> says: which job holds the output, on which silo or host, since when.</summary>
public sealed record OutputLockHolder(
    [property: JsonPropertyName("job_id")] string JobId,
    [property: JsonPropertyName("owner")] string Owner,
    [property: JsonPropertyName("acquired_utc")] DateTimeOffset AcquiredUtc)
{
    /// <summary>Stands for a lock file that exists but does not parse; it can still be taken over.</summary>
    public static OutputLockHolder Unreadable { get; } = new("", "(unreadable lock file)", DateTimeOffset.MinValue);

    public override string ToString() => $"job '{JobId}' on {Owner} since {AcquiredUtc:u}";
}
