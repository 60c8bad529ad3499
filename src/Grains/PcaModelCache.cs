using System.Collections.Concurrent;
using Fruits.Pipeline.Output;
using Fruits.Pipeline.Statistics;
using Fruits.Pipeline.Storage;

namespace Fruits.Grains;

/// <summary>
/// The fitted PCA of recent jobs, read once per silo from the job's pca_model.json. Reading it from
/// storage rather than from the aggregator grain keeps projection going when that grain's silo is lost.
/// </summary>
public sealed class PcaModelCache(IObjectStoreFactory stores)
{
    private const int MaxJobs = 8;
    private readonly ConcurrentDictionary<string, Lazy<Task<PcaProjector>>> _projectors = new();

    public Task<PcaProjector> GetProjectorAsync(string jobId, StorageLocation output)
    {
        if (_projectors.Count > MaxJobs)
        {
            _projectors.Clear();
        }

        // Keyed by job and output: a job re-run into the same folder after --overwrite gets a fresh model.
        return _projectors.GetOrAdd($"{jobId}|{output.Uri}", _ => new Lazy<Task<PcaProjector>>(() => LoadAsync(output))).Value;
    }

    private async Task<PcaProjector> LoadAsync(StorageLocation output)
    {
        var store = stores.Open(output);
        await using var stream = await store.OpenReadAsync(OutputLayout.PcaModel);
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer);
        return new PcaProjector(PcaModelJson.Deserialize(buffer.ToArray()));
    }
}
