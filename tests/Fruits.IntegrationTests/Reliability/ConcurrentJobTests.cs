using Fruits.Grains;
using Fruits.Grains.Interfaces;
using Fruits.Pipeline.Statistics;
using Fruits.Pipeline.Storage;
using Fruits.IntegrationTests.EndToEnd;

namespace Fruits.IntegrationTests.Reliability;

[Collection(TwoSiloCollection.Name)]
public sealed class ConcurrentJobTests(TwoSiloClusterFixture fixture) : IDisposable
{
    private readonly TempDirectory _temp = new();

    [Fact]
    public async Task Two_jobs_at_once_on_one_cluster_keep_their_data_apart()
    {
        var first = ImageSubset.CopyTo(_temp.Combine("in-a"), labels: 3, perLabel: 20);
        var second = _temp.Combine("in-b");
        foreach (var folder in Directory.GetDirectories(TestPaths.TestImagesRoot).Order(StringComparer.Ordinal).Skip(100).Take(2))
        {
            var target = Directory.CreateDirectory(Path.Combine(second, Path.GetFileName(folder))).FullName;
            foreach (var file in Directory.GetFiles(folder, "*.jpg").Order(StringComparer.Ordinal).Take(25))
            {
                File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
            }
        }

        var jobs = new[]
        {
            fixture.RunJobAsync("concurrent-a", new JobSpec(StorageLocation.Parse(first).ToContract(), StorageLocation.Parse(_temp.Combine("out-a")).ToContract(), new PcaSelectionData(0.75), 8), TimeSpan.FromMinutes(5)),
            fixture.RunJobAsync("concurrent-b", new JobSpec(StorageLocation.Parse(second).ToContract(), StorageLocation.Parse(_temp.Combine("out-b")).ToContract(), new PcaSelectionData(FixedK: 3), 8), TimeSpan.FromMinutes(5)),
        };
        var results = await Task.WhenAll(jobs);

        Assert.All(results, r => Assert.True(r.Phase == JobPhase.Completed, $"{r.JobId}: {r.Phase} {r.Error}"));
        using var db = new DuckDb();
        foreach (var (output, input, count, labels) in new[] { ("out-a", first, 60, 3), ("out-b", second, 50, 2) })
        {
            var parts = DuckDb.Quote(_temp.Combine($"{output}/part-*.parquet"));
            Assert.Equal(count, db.Scalar<int>($"SELECT count(DISTINCT path) FROM read_parquet({parts})"));
            Assert.Equal(count, db.Scalar<int>($"SELECT count(*) FROM read_parquet({parts}) WHERE starts_with(path, {DuckDb.Quote(input + "/")})"));
            Assert.Equal(labels, db.Scalar<int>($"SELECT count(DISTINCT label) FROM read_parquet({parts})"));
        }

        Assert.Equal(3, results[1].Summary!.K);
        Assert.Equal(60, results[0].Summary!.ImagesSucceeded);
    }

    public void Dispose() => _temp.Dispose();
}
