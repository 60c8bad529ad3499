using Fruits.Grains.Interfaces;
using Orleans.Runtime;
using Orleans.Storage;

namespace Fruits.Grains;

/// <summary>The cluster's list of jobs, persisted so that `fruits jobs` answers after any silo, or all of them, restarted.</summary>
public sealed class JobRegistryGrain(
    [PersistentState("registry", JobsOptions.StorageName)] IPersistentState<JobRegistryState> registry) : Grain, IJobRegistryGrain
{
    public async Task Record(JobListing job)
    {
        for (var attempt = 1; ; attempt++)
        {
            registry.State.Jobs[job.JobId] = job;
            try
            {
                await registry.WriteStateAsync();
                return;
            }
            catch (InconsistentStateException) when (attempt < 5)
            {
                // Another activation (a second embedded silo on the same store) wrote first: take its list, add ours again.
                await registry.ReadStateAsync();
            }
        }
    }

    public async Task<IReadOnlyList<JobListing>> List()
    {
        // Other processes may share this store (embedded silos): read what is stored, not what this activation last wrote.
        await registry.ReadStateAsync();
        return registry.State.Jobs.Values.OrderByDescending(j => j.SubmittedUtc).ToList();
    }
}
