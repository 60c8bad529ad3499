using System.Text.Json;
using Fruits.IntegrationTests.Clustering;
using Fruits.IntegrationTests.EndToEnd;

namespace Fruits.IntegrationTests.Reliability;

/// <summary>
/// Nothing lost, nothing deleted that isn't ours: two jobs on one output, `--overwrite` next to a user's files,
/// outputs that would overwrite the input, and the leftovers of a crash, each through the real `fruits` process.
/// </summary>
public sealed class OutputSafetyTests : IDisposable
{
    private readonly TempDirectory _temp = new("fruits-output-safety");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Two_jobs_submitted_to_one_output_run_one_and_refuse_the_other()
    {
        // Different inputs, so a row of the refused job in the output would show.
        var apples = ImageSubset.CopyTo(_temp.Combine("apples"), 3, 200);
        var others = CopyLabels(_temp.Combine("others"), skip: 3, labels: 3, perLabel: 200);
        var output = _temp.Combine("shared-output");

        var (firstJob, secondJob) = ($"first-{Guid.NewGuid():N}"[..16], $"second-{Guid.NewGuid():N}"[..16]);
        await using var first = ChildProcess.Start("fruits", ["run", "--input", apples, "--output", output, "--job-id", firstJob], new Dictionary<string, string>());
        await using var second = ChildProcess.Start("fruits", ["run", "--input", others, "--output", output, "--job-id", secondJob], new Dictionary<string, string>());
        var exits = await Task.WhenAll(first.WaitAsync(TimeSpan.FromMinutes(5)), second.WaitAsync(TimeSpan.FromMinutes(5)));
        {
            Assert.True(exits.Count(e => e == 0) == 1 && exits.Count(e => e == 2) == 1, $"exits {exits[0]}, {exits[1]}:\n{first.Output}\n---\n{second.Output}");
            var (loser, winnerInput, loserJob) = exits[0] == 0 ? (second, apples, secondJob) : (first, others, firstJob);
            var refusal = loser.StandardError.Trim();
            Assert.Single(refusal.Split('\n'));
            Assert.StartsWith("fruits: ", refusal);
            Assert.Contains("is in use by job '", refusal);

            using var db = new DuckDb();
            var parts = DuckDb.Quote(Path.Combine(output, "part-*.parquet"));
            var images = Directory.GetFiles(winnerInput, "*.jpg", SearchOption.AllDirectories).Length;
            Assert.Equal(images, db.Scalar<int>($"SELECT count(*) FROM read_parquet({parts})"));
            Assert.Equal(images, db.Scalar<int>($"SELECT count(*) FROM read_parquet({parts}) WHERE starts_with(path, {DuckDb.Quote(winnerInput)})"));
            Assert.DoesNotContain(loserJob, File.ReadAllText(Path.Combine(output, "summary.json")));
            Assert.False(File.Exists(Path.Combine(output, "_job", "lock.json")), "the finished job released the output");
        }
    }

    [Fact]
    public async Task Overwrite_replaces_the_job_and_keeps_every_file_of_the_user()
    {
        var input = ImageSubset.CopyTo(_temp.Combine("input"), 2, 10);
        var output = _temp.Combine("output");
        Assert.Equal(0, (await FruitsAsync(["run", "--input", input, "--output", output, "--batch-size", "8"])).ExitCode);

        var userFiles = new Dictionary<string, string>
        {
            ["vacation.png"] = "a user's photo",
            ["_work/mine/keep.txt"] = "a user's notes under _work",
            ["_job/notes.json"] = "{\"mine\": true}",
            ["report.parquet"] = "not ours either",
        };
        foreach (var (name, content) in userFiles)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(output, name))!);
            File.WriteAllText(Path.Combine(output, name), content);
        }

        var again = await FruitsAsync(["run", "--input", input, "--output", output, "--batch-size", "4", "--part-size", "1KB", "--overwrite"]);
        Assert.True(again.ExitCode == 0, again.Output);

        foreach (var (name, content) in userFiles)
        {
            Assert.True(File.Exists(Path.Combine(output, name)), $"{name} was deleted");
            Assert.Equal(content, File.ReadAllText(Path.Combine(output, name)));
        }

        // The old job's parts are gone (a part of at most 1 KB is one batch: batch size 8 made 3 parts, 4 makes 5), the new job's are complete.
        Assert.Equal(5, Directory.GetFiles(output, "part-*.parquet").Length);
        await JobAssertions.AssertCompleteAndExactAsync(output, input, 20);
    }

    [Fact]
    public async Task An_output_that_is_inside_above_or_equal_to_the_input_or_a_home_or_root_is_refused_before_writing()
    {
        var input = ImageSubset.CopyTo(_temp.Combine("data/input"), 1, 4);
        var before = Snapshot(_temp.Path);
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        foreach (var (output, reason) in new[]
        {
            (input, "it is the input"),
            (Path.Combine(input, "features"), "inside the input"),
            (_temp.Combine("data"), "contains the input"),
            ("/", "filesystem root"),
            (home, "home folder"),
        })
        {
            var result = await FruitsAsync(["run", "--input", input, "--output", output]);
            Assert.True(result.ExitCode == 2, $"{output}: exit {result.ExitCode}\n{result.Output}");
            Assert.Contains(reason, result.Output);
        }

        Assert.Equal(before, Snapshot(_temp.Path));
    }

    [Fact]
    public async Task A_zero_length_part_left_by_a_crash_is_featurized_again()
    {
        var input = ImageSubset.CopyTo(_temp.Combine("input"), 2, 20);
        var output = _temp.Combine("output");
        Assert.Equal(0, (await FruitsAsync(["run", "--input", input, "--output", output, "--batch-size", "8"])).ExitCode);

        // What a crash mid-write used to leave: an unfinished output with an empty part under a committed name.
        File.Delete(Path.Combine(output, "_SUCCESS"));
        File.WriteAllBytes(Path.Combine(output, "_work", "features", "batch-000002.parquet"), []);

        var resumed = await FruitsAsync(["run", "--input", input, "--output", output, "--batch-size", "8", "--json"]);
        Assert.True(resumed.ExitCode == 0, resumed.Output);
        var summary = await JobAssertions.AssertCompleteAndExactAsync(output, input, 40);
        Assert.Equal(4, summary.GetProperty("batches_resumed").GetInt32());
        Assert.Equal(1, summary.GetProperty("attempt_history")[0].GetProperty("batches_featurized").GetInt32());
    }

    [Fact]
    public async Task A_batch_whose_errors_part_was_lost_is_featurized_again_and_its_failure_reported()
    {
        var input = ImageSubset.CopyTo(_temp.Combine("input"), 2, 8);
        var broken = Path.Combine(Directory.GetDirectories(input).Order(StringComparer.Ordinal).First(), "broken.jpg");
        File.WriteAllText(broken, "not an image");
        var output = _temp.Combine("output");
        Assert.Equal(0, (await FruitsAsync(["run", "--input", input, "--output", output, "--batch-size", "4"])).ExitCode);

        // A crash between a batch's two parts: its features part stored, its errors part not.
        File.Delete(Path.Combine(output, "_SUCCESS"));
        var errorParts = Directory.GetFiles(Path.Combine(output, "_work", "errors"));
        File.Delete(Assert.Single(errorParts));

        var resumed = await FruitsAsync(["run", "--input", input, "--output", output, "--batch-size", "4", "--json"]);
        Assert.True(resumed.ExitCode == 0, resumed.Output);
        var summary = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(output, "summary.json"))).RootElement;
        Assert.Equal(17, summary.GetProperty("images_found").GetInt32());
        Assert.Equal(16, summary.GetProperty("images_succeeded").GetInt32());
        Assert.Equal(1, summary.GetProperty("images_failed").GetInt32());
        using var db = new DuckDb();
        Assert.Equal(broken, db.Scalar<string>($"SELECT path FROM read_parquet({DuckDb.Quote(Path.Combine(output, "errors.parquet"))})"));
        Assert.Equal(1, summary.GetProperty("attempt_history")[0].GetProperty("batches_featurized").GetInt32());
    }

    [Fact]
    public async Task Changed_image_bytes_under_the_same_names_are_not_resumed_from_old_features()
    {
        var input = ImageSubset.CopyTo(_temp.Combine("input"), 2, 8);
        var output = _temp.Combine("output");
        Assert.Equal(0, (await FruitsAsync(["run", "--input", input, "--output", output, "--batch-size", "4"])).ExitCode);
        File.Delete(Path.Combine(output, "_SUCCESS"));

        // Same name, other bytes: a different photo now.
        var images = Directory.GetFiles(input, "*.jpg", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();
        File.Copy(images[^1], images[0], overwrite: true);
        File.SetLastWriteTimeUtc(images[0], DateTime.UtcNow.AddMinutes(1));

        var again = await FruitsAsync(["run", "--input", input, "--output", output, "--batch-size", "4", "--json"]);
        Assert.True(again.ExitCode == 0, again.Output);
        var summary = await JobAssertions.AssertCompleteAndExactAsync(output, input, 16);
        Assert.Equal(0, summary.GetProperty("batches_resumed").GetInt32());
    }

    private static string CopyLabels(string destination, int skip, int labels, int perLabel)
    {
        foreach (var folder in Directory.GetDirectories(TestPaths.TestImagesRoot).Order(StringComparer.Ordinal).Skip(skip).Take(labels))
        {
            var target = Directory.CreateDirectory(Path.Combine(destination, Path.GetFileName(folder))).FullName;
            foreach (var file in Directory.GetFiles(folder, "*.jpg").Order(StringComparer.Ordinal).Take(perLabel))
            {
                File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
            }
        }

        return destination;
    }

    private static string Snapshot(string root) => string.Join('\n',
        Directory.GetFileSystemEntries(root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(p => File.Exists(p) ? $"{p} {new FileInfo(p).Length}" : p));

    private static async Task<(int ExitCode, string Output)> FruitsAsync(string[] arguments)
    {
        await using var client = ChildProcess.Start("fruits", arguments, new Dictionary<string, string>());
        var exit = await client.WaitAsync(TimeSpan.FromMinutes(5));
        return (exit, client.Output);
    }
}
