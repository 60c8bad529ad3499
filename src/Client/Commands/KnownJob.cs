using Fruits.Grains;
using Fruits.Grains.Interfaces;

namespace Fruits.Client.Commands;

/// <summary>A job the cluster has a record of; asking for any other id would silently create an empty one.</summary>
public static class KnownJob
{
    public static async Task<(IJobGrain Job, JobStatus Status)> FindAsync(IClusterClient cluster, string jobId)
    {
        var job = cluster.GetGrain<IJobGrain>(jobId);
        var status = await job.GetStatus();
        if (status.Phase == JobPhase.NotStarted)
        {
            throw new UsageException($"unknown job id '{jobId}'");
        }

        return (job, status);
    }
}
