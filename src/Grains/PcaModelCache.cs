using System.Collections.Concurrent;
using Fruits.Pipeline.Output;
using Fruits.Pipeline.Statistics;
using Fruits.Pipeline.Storage;

namespace Fruits.Grains;

/// <summary>
/// The fitted PCA of recent jobs, read once per silo from the output's pca_model.json. Reading it from
/// storage rather than from the aggregator grain keeps projection going when that grain's silo is lost.
/// </summary>
/// <remarks>
/// Keyed by what is cached: the output location plus the stored model's version (S3 ETag, or local size and
/// write time), looked up with one metadata request per call. A model rewritten in place (a re-run with
/// --overwrite, or a resumed job that refits) is therefore never served stale, whatever the job id. A failed
/// load is not kept: the next call reads storage again.
/// </remarks>
public sealed class PcaModelCache(IObjectStoreFactory stores)
{
    private const int MaxModels = 8;
    private readonly ConcurrentDictionary<string, Lazy<Task<PcaProjector>>> _projectors = new(StringComparer.Ordinal);

    /// <summary>Models held now (for tests and diagnostics).</summary>
    public int Count => _projectors.Count;

    /// <remarks>The job id no longer selects the model; it is kept so existing callers compile unchanged.</remarks>
    public Task<PcaProjector> GetProjectorAsync(string jobId, StorageLocation output) => GetProjectorAsync(output);

    public async Task<PcaProjector> GetProjectorAsync(StorageLocation output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        var store = stores.Open(output);
        var info = await store.TryGetInfoAsync(OutputLayout.PcaModel, cancellationToken)
            ?? throw new StorageException($"{store.DescribeKey(OutputLayout.PcaModel)}: not found");
        var key = $"{output.Uri}|{info.Version ?? info.Size.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

        if (_projectors.Count > MaxModels)
        {
            _projectors.Clear();
        }

        var entry = _projectors.GetOrAdd(key, _ => new Lazy<Task<PcaProjector>>(() => LoadAsync(store)));
        try
        {
            return await entry.Value;
        }
        catch
        {
            // Only this very entry: a concurrent caller may already have replaced it with a good one.
            _projectors.TryRemove(new KeyValuePair<string, Lazy<Task<PcaProjector>>>(key, entry));
            throw;
        }
    }

    private static async Task<PcaProjector> LoadAsync(IObjectStore store)
    {
        await using var stream = await store.OpenReadAsync(OutputLayout.PcaModel);
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer);
        return new PcaProjector(PcaModelJson.Deserialize(buffer.ToArray()));
    }
}
