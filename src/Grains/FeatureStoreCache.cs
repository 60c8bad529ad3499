using System.Collections.Concurrent;
using Fruits.Pipeline.Reuse;
using Fruits.Pipeline.Storage;

namespace Fruits.Grains;

/// <summary>
/// This silo's copy of each feature store's index. Loaded once, then refreshed once per job (reading only the
/// index files it has not seen), so a job finds what other jobs and silos stored before it started; entries this
/// silo writes are added as they are written.
/// </summary>
public sealed class FeatureStoreCache(IObjectStoreFactory stores)
{
    private const int RememberedJobs = 256;
    private readonly ConcurrentDictionary<string, Lazy<CachedStore>> _stores = new(StringComparer.Ordinal);

    /// <summary>The store's namespace for <paramref name="key"/> and its index, fresh as of this job's first call here.</summary>
    public async Task<(FeatureStore Store, FeatureStoreIndex Index)> OpenAsync(StorageLocation root, FeatureStoreKey key, string jobId, CancellationToken cancellationToken = default)
    {
        var location = FeatureStoreLocation.Namespace(root, key);
        var cached = _stores.GetOrAdd(location.Uri, _ => new Lazy<CachedStore>(() => new CachedStore(new FeatureStore(stores.Open(location))))).Value;
        await cached.Gate.WaitAsync(cancellationToken);
        try
        {
            if (!cached.RefreshedFor.Contains(jobId))
            {
                await cached.Store.RefreshAsync(cached.Index, cancellationToken);
                if (cached.RefreshedFor.Count >= RememberedJobs)
                {
                    cached.RefreshedFor.Clear();
                }

                cached.RefreshedFor.Add(jobId);
            }
        }
        finally
        {
            cached.Gate.Release();
        }

        return (cached.Store, cached.Index);
    }

    private sealed class CachedStore(FeatureStore store)
    {
        public FeatureStore Store { get; } = store;

        public FeatureStoreIndex Index { get; } = new();

        public SemaphoreSlim Gate { get; } = new(1, 1);

        public HashSet<string> RefreshedFor { get; } = new(StringComparer.Ordinal);
    }
}
