using Fruits.Pipeline.Output;
using Fruits.Pipeline.Storage;
using Parquet;

namespace Fruits.Pipeline.Reuse;

/// <summary>
/// Reads a batch's features part, whichever kind it is: one that holds its features, or one that points into the
/// feature store (<see cref="FeatureReferences"/>), whose features are read from the store's segments.
/// </summary>
public sealed class BatchFeatureReader(IObjectStoreFactory stores)
{
    /// <summary>The batch's rows with their features (<paramref name="dimension"/> wide when they are in the store) and its commit.</summary>
    public async Task<(FeatureTable Table, BatchCommit? Commit)> ReadAsync(IObjectStore output, int batch, int dimension, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        var key = OutputLayout.FeaturesPart(batch);
        using var buffer = await ParquetParts.ReadToMemoryAsync(output, key, cancellationToken);
        await using var reader = await ParquetReader.CreateAsync(buffer, cancellationToken: cancellationToken);
        var commit = BatchCommit.FromMetadata(reader.CustomMetadata, reader.Metadata?.NumRows ?? -1);
        if (commit?.FeatureStore is { } location)
        {
            var store = new FeatureStore(stores.Open(new StorageLocation(location)));
            return (await FeatureReferences.ResolveAsync(reader, key, store, dimension, cancellationToken), commit);
        }

        return (await FeatureParts.ReadTableAsync(buffer, reader, key, cancellationToken), commit);
    }

    /// <summary>
    /// As <see cref="FeatureParts.TryReadVerifiedCommitAsync"/>, and for a part that points into the feature store,
    /// only while every segment it needs is still there: otherwise the batch must be featurized again.
    /// </summary>
    public async Task<BatchCommit?> TryReadVerifiedCommitAsync(IObjectStore output, int batch, CancellationToken cancellationToken = default)
    {
        var commit = await FeatureParts.TryReadVerifiedCommitAsync(output, batch, cancellationToken);
        if (commit?.FeatureStore is not { } location)
        {
            return commit;
        }

        if (!commit.Segments.All(FeatureStoreLayout.IsSegmentId))
        {
            return null;
        }

        try
        {
            var store = stores.Open(new StorageLocation(location));
            foreach (var segment in commit.Segments)
            {
                if (!await store.ExistsAsync(FeatureStoreLayout.Segment(segment), cancellationToken))
                {
                    return null;
                }
            }
        }
        catch (StorageException e) when (!e.IsTransient)
        {
            // A store that no longer opens holds nothing this batch can use.
            return null;
        }

        return commit;
    }
}
