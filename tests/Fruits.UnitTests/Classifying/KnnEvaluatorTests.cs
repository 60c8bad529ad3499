using Fruits.Pipeline.Evaluation;

namespace Fruits.UnitTests.Classifying;

public sealed class KnnEvaluatorTests
{
    [Fact]
    public void Separated_labels_score_high_folds_are_explained_and_identical_images_with_two_labels_are_reported()
    {
        var random = new Random(3);
        const int perLabel = 40;
        var labels = new List<string>();
        var paths = new List<string>();
        var features = new float[3 * perLabel * KnnEvaluator.RawDimensions];
        for (var label = 0; label < 3; label++)
        {
            for (var i = 0; i < perLabel; i++)
            {
                var row = (label * perLabel) + i;
                labels.Add($"fruit-{label}");
                paths.Add($"/data/fruit-{label}/{i:D3}.jpg");
                for (var j = 0; j < KnnEvaluator.RawDimensions; j++)
                {
                    // Each label lifts its own third of the features; the rest is noise.
                    features[(row * KnnEvaluator.RawDimensions) + j] = (j * 3 / KnnEvaluator.RawDimensions == label ? 2f : 0f) + (float)random.NextDouble();
                }
            }
        }

        var hashes = paths.Select((p, i) => (string?)$"hash-{i}").ToList();
        hashes[^1] = hashes[0]; // the last image of fruit-2 has the bytes of the first of fruit-0

        var report = new KnnEvaluator(folds: 4, neighbours: 5, maxQueries: 60).Evaluate(features, labels, paths, hashes, jobK: 12);

        Assert.Equal(60, report.Queries);
        Assert.Equal([8, 12, 16, 32, 64, 1280], report.Accuracy.Select(a => a.Dimensions));
        Assert.Equal("raw", report.Accuracy[^1].Space);
        Assert.All(report.Accuracy, a => Assert.True(a.Interleaved > 0.95 && a.Blocked > 0.95, $"{a.Dimensions}: {a.Interleaved} / {a.Blocked}"));
        Assert.Contains("4 folds per label", report.HowFoldsAreMade, StringComparison.Ordinal);
        var duplicate = Assert.Single(report.ExactDuplicates);
        Assert.Equal(["fruit-0", "fruit-2"], duplicate.Labels);
        Assert.Equal([paths[0], paths[^1]], duplicate.Paths);
        Assert.Contains(report.Warnings, w => w.Contains("identical images carry different labels", StringComparison.Ordinal));
    }

    [Fact]
    public void Pca_sizes_keep_the_jobs_k_once_and_stay_below_the_raw_features()
    {
        Assert.Equal([8, 16, 32, 64, 128, 256], KnnEvaluator.PcaSizes(32));
        Assert.Equal([8, 16, 32, 37, 64, 128, 256], KnnEvaluator.PcaSizes(37));
        Assert.Equal([8, 16, 32, 64, 128, 256], KnnEvaluator.PcaSizes(1280));
    }
}
