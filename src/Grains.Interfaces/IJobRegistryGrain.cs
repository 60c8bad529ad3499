namespace Fruits.Grains.Interfaces;

/// <summary>The cluster's list of jobs (key 0), kept in grain storage so it outlives every silo.</summary>
[Alias("Fruits.IJobRegistryGrain")]
public interface IJobRegistryGrain : IGrainWithIntegerKey
{
    /// <summary>Adds the job or replaces its entry.</summary>
    [Alias("Record")]
    Task Record(JobListing job);

    /// <summary>Every known job, newest submission first.</summary>
    [Alias("List")]
    Task<IReadOnlyList<JobListing>> List();
}
