using Fruits.Grains.Interfaces;

namespace Fruits.Grains;

/// <summary>The registry's stored list: one entry per job id.</summary>
[GenerateSerializer, Alias("Fruits.JobRegistryState")]
public sealed class JobRegistryState
{
    [Id(0)] public Dictionary<string, JobListing> Jobs { get; set; } = new(StringComparer.Ordinal);
}
