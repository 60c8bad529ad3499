using Fruits.Pipeline.Statistics;

namespace Fruits.UnitTests.Statistics;

public sealed class ShiftedMomentAccumulatorTests
{
    /// <summary>
    /// Batches cut from label-sorted data, each with its own level, so the first batch's mean (the shift) is far from
    /// the overall mean: the statistics still match the two-pass statistics of all rows.
    /// </summary>
    [Theory]
    [InlineData(1, 13)]
    [InlineData(2, 1280)]
    public void Batches_whose_levels_differ_give_the_statistics_of_all_rows(int seed, int dimension)
    {
        var batches = Enumerable.Range(0, 5).Select(b => Level(StatisticsTestData.NonNegativeRows(seed + b, 20 + b, dimension), 3.0 * b)).ToList();
        var all = batches.SelectMany(b => b).ToArray();
        var count = all.Length / dimension;

        var accumulator = new ShiftedMomentAccumulator(dimension);
        foreach (var batch in batches)
        {
            accumulator.Add(batch, batch.Length / dimension);
        }

        StatisticsTestData.AssertClose(MomentStatistics.FromRows(all, count, dimension), accumulator.ToStatistics(), relative: 1e-9);
    }

    /// <summary>Where the mean dwarfs the spread, the case a sum of x x^T without a shift would cancel away.</summary>
    [Fact]
    public void A_mean_that_dwarfs_the_spread_loses_no_precision()
    {
        const int Dimension = 7;
        var rows = Level(StatisticsTestData.NonNegativeRows(9, 300, Dimension), 10_000);
        var accumulator = new ShiftedMomentAccumulator(Dimension);
        for (var start = 0; start < 300; start += 64)
        {
            var n = Math.Min(64, 300 - start);
            accumulator.Add(rows.AsSpan(start * Dimension, n * Dimension), n);
        }

        var (mean, m2) = StatisticsTestData.Naive(rows, 300, Dimension);
        StatisticsTestData.AssertClose(mean, (i, j) => m2[i, j], accumulator.ToStatistics(), relative: 1e-7);
    }

    [Fact]
    public void A_snapshot_is_not_changed_by_later_rows_and_an_empty_accumulator_is_empty()
    {
        const int Dimension = 6;
        var accumulator = new ShiftedMomentAccumulator(Dimension);
        var empty = accumulator.ToStatistics();
        Assert.Equal(0, empty.Count);
        Assert.All(empty.CoMoment, v => Assert.Equal(0, v));

        var rows = StatisticsTestData.NonNegativeRows(3, 30, Dimension);
        accumulator.Add(rows, 10);
        accumulator.Add(rows.AsSpan(10 * Dimension), 0);
        var snapshot = accumulator.ToStatistics();
        var copy = (double[])snapshot.CoMoment.Clone();
        accumulator.Add(rows.AsSpan(10 * Dimension), 20);

        Assert.Equal(copy, snapshot.CoMoment);
        StatisticsTestData.AssertClose(MomentStatistics.FromRows(rows, 10, Dimension), snapshot, relative: 1e-12);
        StatisticsTestData.AssertClose(MomentStatistics.FromRows(rows, 30, Dimension), accumulator.ToStatistics(), relative: 1e-9);
        Assert.Throws<ArgumentException>(() => accumulator.Add(rows.AsSpan(0, 5), 1));
    }

    private static float[] Level(float[] rows, double level) => Array.ConvertAll(rows, v => (float)(v + level));
}
