using Fruits.Pipeline.Listing;
using Fruits.Pipeline.Output;
using Fruits.Pipeline.Storage;

namespace Fruits.Grains;

/// <summary>Whether a batch's work is stored whole: what a resumed job may trust instead of featurizing again.</summary>
public static class BatchCommits
{
    /// <summary>The batch's commit when its parts read back and account for every image of its manifest; else null.</summary>
    public static async Task<BatchCommit?> ReadAsync(IObjectStore store, int batch, CancellationToken cancellationToken = default)
    {
        try
        {
            var images = (await BatchManifest.ReadAsync(store, batch, cancellationToken)).Count;
            var succeeded = (await FeatureParts.ReadAsync(store, OutputLayout.FeaturesPart(batch), cancellationToken)).Count;
            var failed = await store.ExistsAsync(OutputLayout.ErrorsPart(batch), cancellationToken)
                ? (await ParquetParts.ReadAsync<ErrorRow>(store, OutputLayout.ErrorsPart(batch), cancellationToken)).Count
                : 0;
            return succeeded + failed == images ? new BatchCommit(images, succeeded, failed) : null;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or StorageException || e.GetType().Namespace?.StartsWith("Parquet", StringComparison.Ordinal) == true)
        {
            return null;
        }
    }
}
