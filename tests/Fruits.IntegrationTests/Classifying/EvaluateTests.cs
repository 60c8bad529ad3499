using System.Text.Json;
using SkiaSharp;

namespace Fruits.IntegrationTests.Classifying;

/// <summary>`fruits evaluate` on the small real output, which holds one image planted again under another label.</summary>
[Collection(ClassifierCollection.Name)]
public sealed class EvaluateTests(ClassifierFixture fixture)
{
    [Fact]
    public async Task Evaluate_reports_accuracies_by_dimensions_and_finds_the_planted_duplicate()
    {
        var reportFolder = fixture.Combine($"evaluation-{Guid.NewGuid():N}");
        await using var process = ChildProcess.Start("fruits", ["evaluate", fixture.Output, "--json", "--report", reportFolder], new Dictionary<string, string>());
        Assert.True(await process.WaitAsync(TimeSpan.FromMinutes(3)) == 0, process.Output);

        using var report = JsonDocument.Parse(process.StandardOutput);
        var root = report.RootElement;
        Assert.Equal((ClassifierFixture.Labels * ClassifierFixture.PerLabel) + 1, root.GetProperty("rows").GetInt32());
        Assert.Contains("interleaved", root.GetProperty("how_folds_are_made").GetString(), StringComparison.Ordinal);
        var accuracy = root.GetProperty("accuracy").EnumerateArray()
            .Select(a => (Dimensions: a.GetProperty("dimensions").GetInt32(), Space: a.GetProperty("space").GetString(), Interleaved: a.GetProperty("interleaved").GetDouble(), Blocked: a.GetProperty("blocked").GetDouble()))
            .ToList();
        var jobK = root.GetProperty("job_k").GetInt32();
        Assert.Contains(accuracy, a => a.Space == "pca" && a.Dimensions == jobK);
        Assert.Contains(accuracy, a => a.Space == "pca" && a.Dimensions == 8);
        Assert.All(accuracy, a =>
        {
            Assert.InRange(a.Interleaved, 0, 1);
            Assert.InRange(a.Blocked, 0, 1);
        });
        var raw = accuracy.Single(a => a.Space == "raw");
        Assert.Equal(1280, raw.Dimensions);
        var eight = accuracy.Single(a => a.Space == "pca" && a.Dimensions == 8);
        Assert.True(raw.Interleaved >= eight.Interleaved, $"raw 1280: {raw.Interleaved}, 8 dimensions: {eight.Interleaved}");

        // The planted copy: same bytes as an image of another label.
        var planted = root.GetProperty("exact_duplicates").EnumerateArray()
            .Single(g => g.GetProperty("paths").EnumerateArray().Any(p => p.GetString() == fixture.PlantedCopy));
        Assert.Equal([fixture.PlantedFrom, fixture.PlantedCopy], planted.GetProperty("paths").EnumerateArray().Select(p => p.GetString()!).Order(StringComparer.Ordinal));
        Assert.Equal(2, planted.GetProperty("labels").GetArrayLength());
        Assert.Contains(root.GetProperty("warnings").EnumerateArray(), w => w.GetString()!.Contains("identical images carry different labels", StringComparison.Ordinal));
        // At distance zero it is a near-duplicate with another label too.
        Assert.Contains(root.GetProperty("near_duplicates_with_other_labels").EnumerateArray(),
            n => new[] { n.GetProperty("path").GetString(), n.GetProperty("nearest_path").GetString() }.Order(StringComparer.Ordinal).SequenceEqual(new[] { fixture.PlantedFrom, fixture.PlantedCopy }.Order(StringComparer.Ordinal)));

        Assert.True(File.Exists(Path.Combine(reportFolder, "evaluation.json")));
        using var plot = SKBitmap.Decode(Path.Combine(reportFolder, "evaluation.png"));
        Assert.Equal((1200, 800), (plot.Width, plot.Height));
    }
}
