using System.Text.Json;
using Fruits.Grains;
using Fruits.Grains.Interfaces;
using Fruits.Pipeline.Output;
using Fruits.Pipeline.Statistics;
using Fruits.Pipeline.Storage;
using MathNet.Numerics.LinearAlgebra;

namespace Fruits.IntegrationTests.EndToEnd;

[Collection(TwoSiloCollection.Name)]
public sealed class LocalJobEndToEndTests(TwoSiloClusterFixture fixture) : IDisposable
{
    private const int Labels = 8;
    private const int PerLabel = 30;
    private readonly TempDirectory _temp = new();

    [Fact]
    public async Task Job_over_real_images_on_two_silos_writes_the_seed_output()
    {
        var input = ImageSubset.CopyTo(_temp.Combine("input"), Labels, PerLabel);
        var output = _temp.Combine("output");
        var spec = new JobSpec(StorageLocation.Parse(input).ToContract(), StorageLocation.Parse(output).ToContract(), new PcaSelectionData(0.75), BatchSize: 16);

        var status = await fixture.RunJobAsync("e2e-local", spec, TimeSpan.FromMinutes(8));

        Assert.True(status.Phase == JobPhase.Completed, $"job ended {status.Phase}: {status.Error}");
        var expectedImages = Labels * PerLabel;
        var expectedLabels = Directory.GetDirectories(input).Select(d => Path.GetFileName(d)!).Order(StringComparer.Ordinal).ToList();
        Assert.True(File.Exists(Path.Combine(output, "_SUCCESS")));
        Assert.False(File.Exists(Path.Combine(output, "errors.parquet")));

        using var db = new DuckDb();
        var parts = DuckDb.Quote(Path.Combine(output, "part-*.parquet"));
        Assert.Equal(expectedImages, db.Scalar<int>($"SELECT count(*) FROM read_parquet({parts})"));
        Assert.Equal(expectedImages, db.Scalar<int>($"SELECT count(DISTINCT path) FROM read_parquet({parts})"));
        Assert.Equal(0, db.Scalar<int>($"SELECT count(*) FROM read_parquet({parts}) WHERE len(features) <> 1280"));
        var k = status.Summary!.K;
        Assert.InRange(k, 1, 1280);
        Assert.Equal(0, db.Scalar<int>($"SELECT count(*) FROM read_parquet({parts}) WHERE len(pca_features) <> {k}"));
        var labels = db.Rows($"SELECT DISTINCT label FROM read_parquet({parts}) ORDER BY label").Select(r => (string)r[0]!).ToList();
        Assert.Equal(expectedLabels, labels);
        // Every label is the name of the image's parent folder.
        Assert.Equal(0, db.Scalar<int>($"SELECT count(*) FROM read_parquet({parts}) WHERE split_part(path, '/', -2) <> label"));
        var columns = db.Rows($"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet({parts}))")
            .ToDictionary(r => (string)r[0]!, r => (string)r[1]!);
        Assert.Equal("VARCHAR", columns["path"]);
        Assert.Equal("VARCHAR", columns["label"]);
        Assert.Equal("FLOAT[]", columns["features"]);
        Assert.Equal("FLOAT[]", columns["pca_features"]);

        using var summary = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(output, "summary.json")));
        var root = summary.RootElement;
        Assert.Equal(expectedImages, root.GetProperty("images_found").GetInt32());
        Assert.Equal(expectedImages, root.GetProperty("images_succeeded").GetInt32());
        Assert.Equal(k, root.GetProperty("k").GetInt32());
        Assert.Matches("^[0-9a-f]{64}$", root.GetProperty("model_sha256").GetString());
        var perSilo = root.GetProperty("batches_per_silo").EnumerateObject().ToList();
        Assert.Equal(2, perSilo.Count); // both silos featurized
        Assert.Equal(expectedImages / 16, perSilo.Sum(p => p.Value.GetInt32()));
        Assert.True(root.GetProperty("variance_kept").GetDouble() >= 0.75);

        AssertPcaMatchesIndependentSvd(db, parts, Path.Combine(output, "pca_model.json"), k);
        await AssertKeptStatisticsAreThePartsAsync(db, parts, output, expectedImages);
    }

    /// <summary>The statistics kept for a refit count exactly the output's rows and are theirs: mean and co-moment.</summary>
    private static async Task AssertKeptStatisticsAreThePartsAsync(DuckDb db, string parts, string output, int images)
    {
        var kept = await OutputMoments.TryReadAsync(new LocalObjectStore(output), images);
        Assert.NotNull(kept);
        var rows = db.Rows($"SELECT features FROM read_parquet({parts})")
            .Select(r => ((System.Collections.IList)r[0]!).Cast<float>().Select(f => (double)f).ToArray())
            .ToArray();
        var d = rows[0].Length;
        var mean = Enumerable.Range(0, d).Select(j => rows.Average(r => r[j])).ToArray();
        Assert.All(Enumerable.Range(0, d), j => Assert.Equal(mean[j], kept.Mean[j], 1e-6));
        foreach (var (i, j) in new[] { (0, 0), (0, 1), (17, 900), (1279, 1279) })
        {
            var expected = rows.Sum(r => (r[i] - mean[i]) * (r[j] - mean[j]));
            var actual = kept.CoMoment[PackedTriangle.Index(d, i, j)];
            Assert.True(Math.Abs(expected - actual) <= 1e-6 * Math.Max(1, Math.Abs(expected)), $"co-moment ({i}, {j}): {actual}, from the parts {expected}");
        }
    }

    /// <summary>The fitted PCA against a float64 SVD of the centred feature matrix as DuckDB reads it.</summary>
    private static void AssertPcaMatchesIndependentSvd(DuckDb db, string parts, string modelPath, int k)
    {
        var rows = db.Rows($"SELECT features FROM read_parquet({parts}) ORDER BY path")
            .Select(r => ((System.Collections.IList)r[0]!).Cast<float>().Select(f => (double)f).ToArray())
            .ToArray();
        var x = Matrix<double>.Build.DenseOfRowArrays(rows);
        var mean = x.ColumnSums() / x.RowCount;
        var centred = x - Matrix<double>.Build.Dense(x.RowCount, x.ColumnCount, (_, j) => mean[j]);
        var svd = centred.Svd(computeVectors: true);
        var s2 = svd.S.PointwisePower(2);
        var ratios = s2 / s2.Sum();

        var model = PcaModelJson.Deserialize(File.ReadAllBytes(modelPath));
        Assert.Equal(k, model.K);
        Assert.Equal(rows.Length, model.Count);
        for (var i = 0; i < k + 5; i++)
        {
            Assert.True(Math.Abs(ratios[i] - model.ExplainedVarianceRatio[i]) < 1e-6, $"ratio {i}: svd {ratios[i]} vs pca {model.ExplainedVarianceRatio[i]}");
        }

        var cumulative = 0.0;
        var expectedK = 0;
        while (cumulative < 0.75)
        {
            cumulative += ratios[expectedK++];
        }

        Assert.Equal(expectedK, k);
        for (var c = 0; c < Math.Min(k, 10); c++)
        {
            var reference = svd.VT.Row(c);
            var component = Vector<double>.Build.Dense(model.Components.AsSpan(c * model.Dimension, model.Dimension).ToArray());
            var cosine = Math.Abs(reference.DotProduct(component)) / (reference.L2Norm() * component.L2Norm());
            Assert.True(cosine > 0.999, $"component {c}: |cos| = {cosine}");
        }
    }

    public void Dispose() => _temp.Dispose();
}
