using System.Security.Cryptography;
using Fruits.Pipeline.Output;
using Fruits.Pipeline.Storage;

namespace Fruits.Pipeline.Evaluation;

/// <summary>A finished output read for <see cref="KnnEvaluator"/>: its rows' raw features, labels and paths, and each image's content hash.</summary>
public static class OutputEvaluation
{
    /// <param name="openImages">Opens the store holding an image's folder (a local folder or s3://bucket/prefix).</param>
    public static async Task<EvaluationReport> EvaluateAsync(
        IObjectStore output, Func<StorageLocation, IObjectStore> openImages, KnnEvaluator evaluator, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(openImages);
        ArgumentNullException.ThrowIfNull(evaluator);
        var features = new List<float[]>();
        var labels = new List<string>();
        var paths = new List<string>();
        var jobK = 0;
        await foreach (var row in new OutputReader(output).RowsAsync(cancellationToken))
        {
            features.Add(row.Features);
            labels.Add(row.Label);
            paths.Add(row.Path);
            jobK = row.PcaFeatures.Length;
        }

        var matrix = new float[features.Count * KnnEvaluator.RawDimensions];
        for (var i = 0; i < features.Count; i++)
        {
            features[i].CopyTo(matrix, i * KnnEvaluator.RawDimensions);
        }

        var hashes = await HashImagesAsync(paths, openImages, cancellationToken);
        return await Task.Run(() => evaluator.Evaluate(matrix, labels, paths, hashes, jobK), cancellationToken);
    }

    /// <summary>SHA-256 of each image's bytes; null for an image that cannot be read any more (moved or deleted since the job).</summary>
    private static async Task<IReadOnlyList<string?>> HashImagesAsync(IReadOnlyList<string> paths, Func<StorageLocation, IObjectStore> openImages, CancellationToken cancellationToken)
    {
        var hashes = new string?[paths.Count];
        var stores = new Dictionary<string, IObjectStore>(StringComparer.Ordinal);
        await Parallel.ForEachAsync(Enumerable.Range(0, paths.Count), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (i, token) =>
        {
            var path = paths[i];
            var slash = path.LastIndexOf('/');
            if (slash <= 0)
            {
                return;
            }

            IObjectStore store;
            lock (stores)
            {
                var folder = path[..slash];
                if (!stores.TryGetValue(folder, out store!))
                {
                    store = openImages(StorageLocation.Parse(folder));
                    stores.Add(folder, store);
                }
            }

            try
            {
                var bytes = await store.ReadAllBytesAsync(path[(slash + 1)..], Imaging.ImageLimits.Default.MaxBytes, token);
                hashes[i] = Convert.ToHexStringLower(SHA256.HashData(bytes));
            }
            catch (Exception e) when (e is StorageException or IOException or UnauthorizedAccessException)
            {
                hashes[i] = null;
            }
        });

        return hashes;
    }
}
