using System.Text.Json;
using Fruits.Pipeline.Featurizing;
using Fruits.Pipeline.Imaging;
using Fruits.IntegrationTests.EndToEnd;

namespace Fruits.IntegrationTests.Clustering;

/// <summary>What every finished job must show, however many silos it lost on the way.</summary>
public static class JobAssertions
{
    /// <summary>
    /// Every image exactly once, features as a fault-free featurizer computes them, the PCA counting each image
    /// once; returns summary.json.
    /// </summary>
    public static async Task<JsonElement> AssertCompleteAndExactAsync(string output, string input, int images)
    {
        Assert.True(File.Exists(Path.Combine(output, "_SUCCESS")), $"{output} has no _SUCCESS");
        using var db = new DuckDb();
        var parts = DuckDb.Quote(Path.Combine(output, "part-*.parquet"));
        Assert.Equal(images, db.Scalar<int>($"SELECT count(*) FROM read_parquet({parts})"));
        Assert.Equal(images, db.Scalar<int>($"SELECT count(DISTINCT path) FROM read_parquet({parts})"));

        using var model = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(output, "pca_model.json")));
        Assert.Equal(images, model.RootElement.GetProperty("count").GetInt64()); // no batch merged twice, none lost

        // A sample of rows against a fresh, fault-free featurizer.
        var sample = db.Rows($"SELECT path, features FROM read_parquet({parts}) ORDER BY hash(path) LIMIT 12");
        using var onnx = new OnnxFeaturizer((await TestModel.EnsureAsync()).Path);
        var preprocessor = new ImagePreprocessor(ImageLimits.Default);
        var tensor = new float[ImagePreprocessor.TensorLength];
        var expected = new float[OnnxFeaturizer.FeatureLength];
        foreach (var row in sample)
        {
            var path = (string)row[0]!;
            Assert.StartsWith(input, path);
            preprocessor.Preprocess(File.ReadAllBytes(path), tensor);
            onnx.Run(tensor, 1, expected);
            var actual = ((System.Collections.IList)row[1]!).Cast<float>().ToArray();
            for (var i = 0; i < expected.Length; i++)
            {
                Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4f * Math.Max(1f, Math.Abs(expected[i])), $"{path}: feature {i} {actual[i]} vs {expected[i]}");
            }
        }

        using var summary = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(output, "summary.json")));
        Assert.Equal(images, summary.RootElement.GetProperty("images_succeeded").GetInt32());
        return summary.RootElement.Clone();
    }

    /// <summary>Waits until at least <paramref name="count"/> batches have their features part stored.</summary>
    public static async Task WaitForStoredBatchesAsync(string output, int count, TimeSpan timeout)
    {
        var features = Path.Combine(output, "_work", "features");
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (Directory.Exists(features) && Directory.GetFiles(features, "*.parquet").Length >= count)
            {
                return;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"fewer than {count} batches were stored within {timeout}");
    }

    /// <summary>Waits for _SUCCESS: the job finished with nobody watching it.</summary>
    public static async Task WaitForSuccessAsync(string output, TimeSpan timeout, Func<string> diagnostics)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (File.Exists(Path.Combine(output, "_SUCCESS")))
            {
                return;
            }

            await Task.Delay(500);
        }

        throw new TimeoutException($"{output} got no _SUCCESS within {timeout}:\n{diagnostics()}");
    }
}
