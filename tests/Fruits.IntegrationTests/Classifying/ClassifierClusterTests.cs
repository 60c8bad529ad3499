using System.Text.Json;
using Fruits.Grains.Interfaces;
using Fruits.Pipeline.Storage;

namespace Fruits.IntegrationTests.Classifying;

/// <summary>The classifier's grains on a two-silo cluster, and `fruits classify` on an embedded silo.</summary>
[Collection(ClassifierCollection.Name)]
public sealed class ClassifierClusterTests(ClassifierFixture fixture)
{
    private string Output => StorageLocation.Parse(fixture.Output).Uri;

    [Fact]
    public async Task Held_out_photos_are_classified_by_the_cluster_and_the_index_is_sharded()
    {
        var summary = await fixture.Cluster.GrainFactory.GetGrain<IOutputIndexGrain>(Output).Open();
        Assert.True(summary.Found, summary.Problem);
        Assert.Equal((ClassifierFixture.Labels * ClassifierFixture.PerLabel) + 1, summary.Rows);
        Assert.Equal(ClassifierFixture.Labels, summary.Labels);
        Assert.True(summary.Shards > 1, $"{summary.Shards} shard(s)");
        Assert.InRange(summary.BytesPerRow, summary.Dimensions * 4, 2000);

        var classifier = fixture.Cluster.GrainFactory.GetGrain<IClassifyGrain>(0);
        var correct = 0;
        var misses = new List<string>();
        foreach (var (photo, label) in fixture.HeldOut)
        {
            var result = await classifier.Classify(Output, await File.ReadAllBytesAsync(photo), 3);
            Assert.Equal(ClassifyProblem.None, result.Problem);
            Assert.InRange(result.Labels.Count, 1, 3);
            Assert.Equal(3, result.Nearest.Count);
            Assert.Equal(summary.Dimensions, result.Dimensions);
            Assert.All(result.Nearest, n => Assert.StartsWith(fixture.Input, n.Path, StringComparison.Ordinal));
            Assert.Equal(result.Nearest.OrderBy(n => n.Distance).Select(n => n.Distance), result.Nearest.Select(n => n.Distance));
            if (result.Labels[0].Label == label)
            {
                correct++;
            }
            else
            {
                misses.Add($"{photo}: {result.Labels[0].Label}");
            }
        }

        Assert.True(correct >= 0.95 * fixture.HeldOut.Count, $"{correct} of {fixture.HeldOut.Count} right; wrong: {string.Join("; ", misses)}");
    }

    [Fact]
    public async Task Bad_photos_unknown_outputs_and_top_out_of_range_are_answered_with_one_line_reasons()
    {
        var classifier = fixture.Cluster.GrainFactory.GetGrain<IClassifyGrain>(0);
        var photo = await File.ReadAllBytesAsync(fixture.HeldOut[0].Path);

        var notImage = await classifier.Classify(Output, "not an image at all"u8.ToArray(), 5);
        Assert.Equal(ClassifyProblem.BadImage, notImage.Problem);
        Assert.Equal("not a decodable image (unknown or unsupported format)", notImage.Reason);

        var empty = await classifier.Classify(Output, [], 5);
        Assert.Equal(ClassifyProblem.BadImage, empty.Problem);
        Assert.Equal("empty file (0 bytes)", empty.Reason);

        var unknown = await classifier.Classify(StorageLocation.Parse(fixture.Combine("no-such-output")).Uri, photo, 5);
        Assert.Equal(ClassifyProblem.OutputNotFound, unknown.Problem);
        Assert.Contains("no finished job", unknown.Reason, StringComparison.Ordinal);

        var unfinished = await classifier.Classify(StorageLocation.Parse(fixture.Input).Uri, photo, 5);
        Assert.Equal(ClassifyProblem.OutputNotFound, unfinished.Problem);

        foreach (var top in new[] { 0, -1, 51 })
        {
            var refused = await classifier.Classify(Output, photo, top);
            Assert.Equal(ClassifyProblem.BadRequest, refused.Problem);
            Assert.Equal($"top must be within [1, 50], got {top}", refused.Reason);
        }

        // Still serving after all of them.
        Assert.Equal(ClassifyProblem.None, (await classifier.Classify(Output, photo, 5)).Problem);
    }

    [Fact]
    public async Task An_output_rewritten_in_place_is_reloaded_by_the_next_query()
    {
        var copy = fixture.Combine($"rewritten-{Guid.NewGuid():N}");
        Directory.CreateDirectory(copy);
        foreach (var file in Directory.GetFiles(fixture.Output))
        {
            File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        }

        var index = fixture.Cluster.GrainFactory.GetGrain<IOutputIndexGrain>(StorageLocation.Parse(copy).Uri);
        var before = await index.Open();
        Assert.Equal((ClassifierFixture.Labels * ClassifierFixture.PerLabel) + 1, before.Rows);

        // What a re-run with fewer images leaves: one part fewer and a new _SUCCESS.
        var part = Directory.GetFiles(copy, "part-*.parquet").Order(StringComparer.Ordinal).First();
        var removed = (await Fruits.Pipeline.Output.ParquetParts.ReadAsync<Fruits.Pipeline.Output.OutputRow>(new LocalObjectStore(copy), Path.GetFileName(part))).Count;
        File.Delete(part);
        await File.WriteAllTextAsync(Path.Combine(copy, "_SUCCESS"), "rewritten\n");

        var after = await index.Open();
        Assert.Equal(before.Rows - removed, after.Rows);
        Assert.NotEqual(0, removed);
    }

    [Fact]
    public async Task A_silo_dies_between_queries_and_the_next_query_still_answers()
    {
        var classifier = fixture.Cluster.GrainFactory.GetGrain<IClassifyGrain>(0);
        var (photo, _) = fixture.HeldOut[5];
        var bytes = await File.ReadAllBytesAsync(photo);
        var before = await classifier.Classify(Output, bytes, 5);
        Assert.Equal(ClassifyProblem.None, before.Problem);

        // The cluster stays at one silo afterwards: the other tests of this collection do not depend on two.
        await fixture.Cluster.KillSiloAsync(fixture.Cluster.SecondarySilos[0]);
        await fixture.Cluster.WaitForLivenessToStabilizeAsync();
        var after = await fixture.Cluster.GrainFactory.GetGrain<IClassifyGrain>(0).Classify(Output, bytes, 5);

        Assert.Equal(ClassifyProblem.None, after.Problem);
        Assert.Equal(before.Nearest, after.Nearest);
        Assert.Equal(before.Labels[0].Label, after.Labels[0].Label);
        var summary = await fixture.Cluster.GrainFactory.GetGrain<IOutputIndexGrain>(Output).Open();
        Assert.Equal((ClassifierFixture.Labels * ClassifierFixture.PerLabel) + 1, summary.Rows);
    }

    [Fact]
    public async Task Fruits_classify_names_the_held_out_photos_labels_on_an_embedded_silo()
    {
        var photos = fixture.HeldOut.Select(h => h.Path).ToList();
        await using var process = ChildProcess.Start("fruits", ["classify", fixture.Output, .. photos, "--top", "3", "--json"], new Dictionary<string, string>());
        Assert.True(await process.WaitAsync(TimeSpan.FromMinutes(3)) == 0, process.Output);

        using var answer = JsonDocument.Parse(process.StandardOutput);
        var results = answer.RootElement.GetProperty("photos").EnumerateArray().ToList();
        Assert.Equal(photos.Count, results.Count);
        var correct = results.Zip(fixture.HeldOut).Count(p => p.First.GetProperty("labels")[0].GetProperty("label").GetString() == p.Second.Label);
        Assert.True(correct >= 0.95 * photos.Count, $"{correct} of {photos.Count} right:\n{process.StandardOutput}");
        Assert.Equal((ClassifierFixture.Labels * ClassifierFixture.PerLabel) + 1, answer.RootElement.GetProperty("index_rows").GetInt32());

        await using var bad = ChildProcess.Start("fruits", ["classify", fixture.Combine("no-such-output"), photos[0]], new Dictionary<string, string>());
        Assert.Equal(2, await bad.WaitAsync(TimeSpan.FromMinutes(3)));
        Assert.Matches("^fruits: .*no finished job.*$", bad.StandardError.Trim());
    }
}
