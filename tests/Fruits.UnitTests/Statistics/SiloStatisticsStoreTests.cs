using Fruits.Grains;
using Fruits.Pipeline.Statistics;

namespace Fruits.UnitTests.Statistics;

public sealed class SiloStatisticsStoreTests
{
    private const int Dimension = 16;
    private const int Rows = 8;

    [Fact]
    public async Task Batches_added_at_once_by_many_featurizers_count_once_each_and_take_as_the_statistics_of_their_rows()
    {
        var store = new SiloStatisticsStore();
        var batches = Enumerable.Range(0, 40).Select(b => StatisticsTestData.NonNegativeRows(b, Rows, Dimension)).ToList();

        // Every batch twice, as a retried batch may arrive, from four featurizers at once.
        await Parallel.ForEachAsync(Enumerable.Range(0, 80), new ParallelOptions { MaxDegreeOfParallelism = 4 }, (i, _) =>
        {
            var batch = i % 40;
            store.Add("job", batch, batches[batch], Rows, Dimension);
            return ValueTask.CompletedTask;
        });
        store.Add("other-job", 0, batches[0], Rows, Dimension);

        var taken = store.Take("job");

        Assert.Equal(Enumerable.Range(0, 40), taken.Batches);
        var all = batches.SelectMany(b => b).ToArray();
        StatisticsTestData.AssertClose(MomentStatistics.FromRows(all, 40 * Rows, Dimension), taken.Statistics!.ToPipeline(), relative: 1e-9);
        var again = store.Take("job");
        Assert.Empty(again.Batches);
        Assert.Null(again.Statistics);
        Assert.Equal([0], store.Take("other-job").Batches);
    }

    [Fact]
    public void A_forgotten_job_starts_over()
    {
        var store = new SiloStatisticsStore();
        var rows = StatisticsTestData.NonNegativeRows(1, Rows, Dimension);
        store.Add("job", 3, rows, Rows, Dimension);
        store.Forget("job");
        store.Add("job", 3, rows, Rows, Dimension);

        var taken = store.Take("job");

        Assert.Equal([3], taken.Batches);
        Assert.Equal(Rows, taken.Statistics!.Count);
    }
}
