using System.Collections.Concurrent;
using Fruits.Pipeline.Statistics;

namespace Fruits.Grains;

/// <summary>The fitted PCA of recent jobs, fetched once per silo rather than once per batch.</summary>
public sealed class PcaModelCache(IGrainFactory grains)
{
    private const int MaxJobs = 8;
    private readonly ConcurrentDictionary<string, Lazy<Task<PcaProjector>>> _projectors = new();

    public Task<PcaProjector> GetProjectorAsync(string jobId)
    {
        if (_projectors.Count > MaxJobs)
        {
            _projectors.Clear();
        }

        return _projectors.GetOrAdd(jobId, id => new Lazy<Task<PcaProjector>>(() => LoadAsync(id))).Value;
    }

    private async Task<PcaProjector> LoadAsync(string jobId)
    {
        var model = await grains.GetGrain<IPcaAggregatorGrain>(jobId).GetModel()
            ?? throw new InvalidOperationException($"job {jobId} has no fitted PCA yet");
        return new PcaProjector(model);
    }
}
