using Fruits.Pipeline.Output;
using Fruits.Pipeline.Storage;

namespace Fruits.Testing;

/// <summary>
/// A finished job's output written directly: parts of small correlated features (so a PCA fit of them costs nothing),
/// a summary, a plan and _SUCCESS. For what reads finished outputs (refit) without running a job first.
/// </summary>
public static class SyntheticOutput
{
    public static async Task<LocalObjectStore> WriteAsync(string folder, int parts, int rowsPerPart, int dimension)
    {
        var store = new LocalObjectStore(folder);
        var random = new Random(7);
        for (var part = 0; part < parts; part++)
        {
            var paths = Enumerable.Range(0, rowsPerPart).Select(i => $"/images/label-{i % 3}/{part}-{i}.jpg").ToList();
            var labels = Enumerable.Range(0, rowsPerPart).Select(i => $"label-{i % 3}").ToList();
            var features = new float[rowsPerPart * dimension];
            for (var r = 0; r < rowsPerPart; r++)
            {
                var a = random.NextDouble();
                var b = random.NextDouble();
                for (var c = 0; c < dimension; c++)
                {
                    features[(r * dimension) + c] = (float)((a * (c + 1)) + (b * (dimension - c)) + (0.1 * random.NextDouble()));
                }
            }

            await FeatureParts.WriteProjectedAsync(store, OutputLayout.OutputPart(part), [(new FeatureTable(paths, labels, features, dimension), new float[rowsPerPart])], 1, rowGroupRows: rowsPerPart);
        }

        var images = parts * rowsPerPart;
        await store.WriteAsync(OutputLayout.Summary, System.Text.Encoding.UTF8.GetBytes($$"""
            {
              "job_id": "synthetic", "input": "/images", "output": {{System.Text.Json.JsonSerializer.Serialize(store.Root)}},
              "images_found": {{images}}, "images_succeeded": {{images}}, "images_failed": 0, "labels": 3,
              "batches": {{parts}}, "batch_size": {{rowsPerPart}}, "k": 1, "variance_kept": 0.5, "phase_seconds": {},
              "total_seconds": 1, "images_per_second": 1, "model_sha256": "{{new string('a', 64)}}", "batches_per_silo": {}
            }
            """));
        await store.WriteAsync(OutputLayout.Plan, "{}"u8.ToArray());
        await store.WriteAsync(OutputLayout.Success, Array.Empty<byte>());
        return store;
    }
}
