using System.Text.Json;
using Fruits.Grains;
using Fruits.Grains.Interfaces;
using Fruits.IntegrationTests.EndToEnd;
using Fruits.Pipeline.Statistics;
using Fruits.Pipeline.Storage;

namespace Fruits.IntegrationTests.Reuse;

/// <summary>Jobs that share a feature store on the in-process two-silo cluster, checked with DuckDB.</summary>
[Collection(TwoSiloCollection.Name)]
public sealed class FeatureStoreJobTests(TwoSiloClusterFixture fixture) : IDisposable
{
    private const int PerLabel = 8;
    private const int BatchSize = 8;
    private static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(4);
    private readonly TempDirectory _temp = new("fruits-reuse");

    [Fact]
    public async Task A_renamed_folder_with_new_images_featurizes_only_the_new_ones_and_equals_a_run_from_scratch()
    {
        var staging = ImageSubset.CopyTo(_temp.Combine("staging"), labels: 4, PerLabel);
        var labels = Directory.GetDirectories(staging).Order(StringComparer.Ordinal).ToList();
        var first = Directory.CreateDirectory(_temp.Combine("photos")).FullName;
        foreach (var label in labels.Take(3))
        {
            Directory.Move(label, Path.Combine(first, Path.GetFileName(label)));
        }

        var store = _temp.Combine("store");
        var cold = await RunAsync(first, _temp.Combine("out-cold"), store);
        Assert.Equal((3 * PerLabel, 0), Counts(cold));

        // The folder is renamed and a fourth label arrives.
        var renamed = _temp.Combine("photos-2026");
        Directory.Move(first, renamed);
        Directory.Move(labels[3], Path.Combine(renamed, Path.GetFileName(labels[3])));

        var warm = await RunAsync(renamed, _temp.Combine("out-warm"), store);
        var scratch = await RunAsync(renamed, _temp.Combine("out-scratch"), featureStore: null);

        Assert.Equal((PerLabel, 3 * PerLabel), Counts(warm));
        Assert.Equal((4 * PerLabel, 0), Counts(scratch));
        Assert.Null(scratch.Summary!.FeatureStore);
        Assert.Equal(StorageLocation.Parse(store).Uri, warm.Summary!.FeatureStore);
        AssertSameOutput(_temp.Combine("out-warm"), _temp.Combine("out-scratch"), 4 * PerLabel);
    }

    [Fact]
    public async Task A_changed_image_is_featurized_again_and_a_deleted_one_is_gone()
    {
        var input = ImageSubset.CopyTo(_temp.Combine("photos"), labels: 3, PerLabel);
        var elsewhere = ImageSubset.CopyTo(_temp.Combine("other"), labels: 4, PerLabel + 1);
        var store = _temp.Combine("store");
        var before = await RunAsync(input, _temp.Combine("out-before"), store);
        Assert.Equal((3 * PerLabel, 0), Counts(before));

        var files = Directory.GetFiles(input, "*.jpg", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        var changed = files[3];
        var deleted = files[10];
        // Other bytes under the same path: an image of the fourth label, which the first job never saw.
        var replacement = Directory.GetFiles(Directory.GetDirectories(elsewhere).Order(StringComparer.Ordinal).Last(), "*.jpg").Order(StringComparer.Ordinal).Last();
        File.Copy(replacement, changed, overwrite: true);
        File.Delete(deleted);

        var after = await RunAsync(input, _temp.Combine("out-after"), store);

        Assert.Equal((1, 3 * PerLabel - 2), Counts(after));
        using var db = new DuckDb();
        var a = Parts(_temp.Combine("out-before"));
        var b = Parts(_temp.Combine("out-after"));
        Assert.Equal(3 * PerLabel - 1, db.Scalar<int>($"SELECT count(*) FROM {b}"));
        Assert.Equal(0, db.Scalar<int>($"SELECT count(*) FROM {b} WHERE path = {DuckDb.Quote(deleted)}"));
        Assert.Equal(1, db.Scalar<int>($"SELECT count(*) FROM {a} x JOIN {b} y USING (path) WHERE x.features <> y.features"));
        Assert.Equal(1, db.Scalar<int>($"SELECT count(*) FROM {a} x JOIN {b} y USING (path) WHERE x.features <> y.features AND path = {DuckDb.Quote(changed)}"));
        // The PCA covers exactly the images listed now.
        Assert.Equal(3 * PerLabel - 1, PcaModelJson.Deserialize(File.ReadAllBytes(_temp.Combine("out-after/pca_model.json"))).Count);
        using var summary = JsonDocument.Parse(File.ReadAllBytes(_temp.Combine("out-after/summary.json")));
        Assert.Equal(1, summary.RootElement.GetProperty("images_featurized").GetInt32());
        Assert.Equal(3 * PerLabel - 2, summary.RootElement.GetProperty("images_reused").GetInt32());
        Assert.Equal(StorageLocation.Parse(store).Uri, summary.RootElement.GetProperty("feature_store").GetString());
    }

    public void Dispose() => _temp.Dispose();

    private async Task<JobStatus> RunAsync(string input, string output, string? featureStore)
    {
        var spec = new JobSpec(StorageLocation.Parse(input).ToContract(), StorageLocation.Parse(output).ToContract(), new PcaSelectionData(0.75), BatchSize,
            FeatureStore: featureStore is null ? null : StorageLocation.Parse(featureStore).ToContract(), NoFeatureStore: featureStore is null);
        var status = await fixture.RunJobAsync($"reuse-{Guid.NewGuid():N}", spec, JobTimeout);
        Assert.True(status.Phase == JobPhase.Completed, $"job ended {status.Phase}: {status.Error}");
        return status;
    }

    private static (int Featurized, int Reused) Counts(JobStatus status) => (status.Summary!.ImagesFeaturized, status.Summary.ImagesReused);

    private static string Parts(string output) => $"read_parquet({DuckDb.Quote(Path.Combine(output, "part-*.parquet"))})";

    /// <summary>Same rows and identical features; the same k, and PCA and projection equal within float tolerance.</summary>
    private static void AssertSameOutput(string actual, string expected, int images)
    {
        using var db = new DuckDb();
        var a = Parts(actual);
        var e = Parts(expected);
        Assert.Equal(images, db.Scalar<int>($"SELECT count(*) FROM {a}"));
        Assert.Equal(images, db.Scalar<int>($"SELECT count(*) FROM {e}"));
        Assert.Equal(images, db.Scalar<int>($"SELECT count(*) FROM {a} x JOIN {e} y ON x.path = y.path AND x.label = y.label AND x.features = y.features"));

        var actualModel = PcaModelJson.Deserialize(File.ReadAllBytes(Path.Combine(actual, "pca_model.json")));
        var expectedModel = PcaModelJson.Deserialize(File.ReadAllBytes(Path.Combine(expected, "pca_model.json")));
        Assert.Equal(expectedModel.K, actualModel.K);
        Assert.Equal(expectedModel.Count, actualModel.Count);
        for (var i = 0; i < expectedModel.K; i++)
        {
            Assert.True(Math.Abs(expectedModel.ExplainedVarianceRatio[i] - actualModel.ExplainedVarianceRatio[i]) < 1e-6, $"ratio {i}");
        }

        // Components are defined up to sign; |projection| is not.
        var worst = db.Scalar<double>($"""
            SELECT max(abs(abs(x.pca_features[i]) - abs(y.pca_features[i])))
            FROM {a} x JOIN {e} y USING (path), range(1, {expectedModel.K + 1}) r(i)
            """);
        Assert.True(worst < 1e-3, $"projections differ by up to {worst}");
    }
}
