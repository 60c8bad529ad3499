using Fruits.Grains;
using Fruits.Pipeline.Output;
using Microsoft.Extensions.Options;

namespace Fruits.UnitTests.Reuse;

public sealed class ProjectionFeatureCacheTests
{
    private const int Dimension = 4;

    [Fact]
    public void Kept_features_are_a_copy_taken_once_and_only_for_the_featurize_call_that_kept_them()
    {
        var cache = Cache(budgetBytes: 1024);
        var call = Guid.NewGuid();
        var table = Table(rows: 3, seed: 1);

        Assert.True(cache.Add("job", 7, call, table));
        // The featurizer reuses its buffer for the next batch: the kept rows must not change with it.
        var expected = table.FeatureBlock.ToArray();
        Array.Fill(table.Features, -1f);

        Assert.False(cache.TryTake("job", 7, Guid.NewGuid(), out _));
        Assert.False(cache.TryTake("job", 7, Guid.Empty, out _));
        Assert.False(cache.TryTake("other-job", 7, call, out _));
        Assert.False(cache.TryTake("job", 8, call, out _));

        Assert.True(cache.TryTake("job", 7, call, out var taken));
        Assert.Equal(expected, taken.FeatureBlock.ToArray());
        Assert.Equal(table.Paths, taken.Paths);
        Assert.Equal(table.Labels, taken.Labels);
        Assert.Equal(0, cache.Bytes);
        Assert.False(cache.TryTake("job", 7, call, out _));
    }

    [Fact]
    public void A_batch_beyond_the_budget_is_not_kept_and_a_taken_one_frees_its_room()
    {
        // Room for five rows of four floats.
        var cache = Cache(budgetBytes: 5 * Dimension * sizeof(float));
        var first = Guid.NewGuid();
        var second = Guid.NewGuid();

        Assert.True(cache.Add("job", 0, first, Table(rows: 3, seed: 1)));
        Assert.False(cache.Add("job", 1, second, Table(rows: 3, seed: 2)));
        Assert.False(cache.TryTake("job", 1, second, out _));
        Assert.Equal(3 * Dimension * sizeof(float), cache.Bytes);

        Assert.True(cache.TryTake("job", 0, first, out _));
        Assert.True(cache.Add("job", 1, second, Table(rows: 3, seed: 2)));
        Assert.False(Cache(budgetBytes: 0).Add("job", 0, first, Table(rows: 1, seed: 1)));
    }

    [Fact]
    public void A_later_call_replaces_an_earlier_one_and_forgetting_a_job_frees_all_it_kept()
    {
        var cache = Cache(budgetBytes: 1024);
        var earlier = Guid.NewGuid();
        var later = Guid.NewGuid();
        Assert.True(cache.Add("job", 0, earlier, Table(rows: 2, seed: 1)));
        Assert.True(cache.Add("job", 0, later, Table(rows: 2, seed: 2)));
        Assert.True(cache.Add("job", 1, Guid.NewGuid(), Table(rows: 2, seed: 3)));
        var kept = Guid.NewGuid();
        Assert.True(cache.Add("other-job", 0, kept, Table(rows: 1, seed: 4)));

        Assert.False(cache.TryTake("job", 0, earlier, out _));
        cache.Forget("job");

        Assert.False(cache.TryTake("job", 0, later, out _));
        Assert.Equal(Dimension * sizeof(float), cache.Bytes);
        Assert.True(cache.TryTake("other-job", 0, kept, out _));
        Assert.Equal(0, cache.Bytes);
    }

    private static ProjectionFeatureCache Cache(long budgetBytes) =>
        new(Options.Create(new FeaturizerOptions { ProjectionCacheBytes = budgetBytes }));

    /// <summary>Rows in a buffer longer than they need, as the featurizer's reused buffer is.</summary>
    private static FeatureTable Table(int rows, int seed)
    {
        var features = new float[(rows + 2) * Dimension];
        for (var i = 0; i < features.Length; i++)
        {
            features[i] = (seed * 1000) + i;
        }

        var paths = Enumerable.Range(0, rows).Select(r => $"in/{seed}/{r}.jpg").ToList();
        return new FeatureTable(paths, [.. paths.Select(_ => $"label-{seed}")], features, Dimension);
    }
}
