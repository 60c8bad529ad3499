namespace Fruits.Grains;

/// <summary>One per job id: plans the batches, drives both phases, and answers progress queries.</summary>
[Alias("Fruits.IJobGrain")]
public interface IJobGrain : IGrainWithStringKey
{
    /// <summary>Validates the spec and starts the job in the background; returns at once.</summary>
    [Alias("Start")]
    Task<JobStatus> Start(JobSpec spec);

    [Alias("GetStatus")]
    Task<JobStatus> GetStatus();
}
