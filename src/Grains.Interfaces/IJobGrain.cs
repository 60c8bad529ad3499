namespace Fruits.Grains.Interfaces;

/// <summary>
/// One per job id: owns the job from submit to _SUCCESS. Its state is persisted, and a reminder resumes it
/// on another silo (or after the whole cluster restarted) until it ends.
/// </summary>
[Alias("Fruits.IJobGrain")]
public interface IJobGrain : IGrainWithStringKey
{
    /// <summary>
    /// Validates the spec and starts the job in the background; returns at once. Starting a job again with the
    /// same spec returns its status, or resumes it when it was cancelled or failed.
    /// </summary>
    [Alias("Start")]
    Task<JobStatus> Start(JobSpec spec);

    [Alias("GetStatus")]
    Task<JobStatus> GetStatus();

    /// <summary>Stops dispatching; batches in flight finish and their parts are kept, so the job can be resumed.</summary>
    [Alias("Cancel")]
    Task<JobStatus> Cancel();
}
