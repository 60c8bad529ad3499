using Fruits.Pipeline.Statistics;

namespace Fruits.UnitTests.Statistics;

public sealed class MomentMergeTests
{
    [Theory]
    [InlineData(1, 40, 11)]
    [InlineData(2, 97, 37)]
    [InlineData(3, 100, 1280)]
    public void Any_split_and_merge_order_matches_all_rows(int seed, int count, int dimension)
    {
        var rows = StatisticsTestData.NonNegativeRows(seed, count, dimension);
        var whole = MomentStatistics.FromRows(rows, count, dimension);
        var rng = new Random(seed);
        var trials = dimension > 100 ? 2 : 6;
        for (var trial = 0; trial < trials; trial++)
        {
            var parts = RandomSplit(rng, rows, count, dimension, 1 + rng.Next(8));
            Check(whole, LeftFold(parts));
            Check(whole, Tree(parts));
            Check(whole, MomentStatistics.MergeAll(parts.OrderBy(_ => rng.Next())));

            var accumulator = new MomentAccumulator(dimension);
            foreach (var part in parts.OrderBy(_ => rng.Next()))
            {
                accumulator.Add(part);
            }

            Check(whole, accumulator.ToStatistics());
        }
    }

    [Fact]
    public void Empty_sides_are_identities_and_inputs_are_not_mutated()
    {
        var rows = StatisticsTestData.NonNegativeRows(5, 20, 6);
        var s = MomentStatistics.FromRows(rows, 20, 6);
        var empty = MomentStatistics.Empty(6);
        Assert.Same(s, s.Merge(empty));
        Assert.Same(s, empty.Merge(s));
        Assert.Equal(0, empty.Merge(empty).Count);

        var a = MomentStatistics.FromRows(rows, 7, 6);
        var b = MomentStatistics.FromRows(rows.AsSpan(7 * 6), 13, 6);
        var (meanA, m2A) = ((double[])a.Mean.Clone(), (double[])a.CoMoment.Clone());
        var merged = a.Merge(b);
        Assert.Equal(meanA, a.Mean);
        Assert.Equal(m2A, a.CoMoment);
        Check(s, merged);

        var accumulator = new MomentAccumulator(6);
        accumulator.Add(empty);
        accumulator.Add(a);
        var snapshot = accumulator.ToStatistics();
        accumulator.Add(b);
        Assert.Equal(a.CoMoment, snapshot.CoMoment);
        Assert.Equal(meanA, a.Mean);
        Check(s, accumulator.ToStatistics());
    }

    [Fact]
    public void Merged_partials_give_the_same_pca()
    {
        const int count = 300, dimension = 64;
        var rows = StatisticsTestData.LowRankRows(9, count, dimension, rank: 12, decay: 0.7);
        var whole = MomentStatistics.FromRows(rows, count, dimension);
        var rng = new Random(4);
        var parts = RandomSplit(rng, rows, count, dimension, 7);
        var merged = Tree(parts.OrderBy(_ => rng.Next()).ToList());
        Check(whole, merged);

        var selection = new PcaSelection(0.9);
        var expected = new PcaFitter().Fit(whole, selection);
        var actual = new PcaFitter().Fit(merged, selection);
        Assert.Equal(expected.K, actual.K);
        for (var c = 0; c < dimension; c++)
        {
            Assert.True(Math.Abs(expected.ExplainedVarianceRatio[c] - actual.ExplainedVarianceRatio[c]) <= 1e-9, $"ratio {c}");
        }

        for (var c = 0; c < expected.K; c++)
        {
            var cosine = StatisticsTestData.AbsCosine(expected.Components.AsSpan(c * dimension, dimension), actual.Components.AsSpan(c * dimension, dimension));
            Assert.True(cosine > 1 - 1e-9, $"component {c}: |cos| = {cosine}");
        }
    }

    private static void Check(MomentStatistics expected, MomentStatistics actual) => StatisticsTestData.AssertClose(expected, actual, 1e-9);

    /// <summary>Random contiguous-or-not split: rows are shuffled, then cut at random points (empty parts allowed).</summary>
    private static List<MomentStatistics> RandomSplit(Random rng, float[] rows, int count, int dimension, int parts)
    {
        var order = Enumerable.Range(0, count).OrderBy(_ => rng.Next()).ToArray();
        var cuts = Enumerable.Range(0, parts - 1).Select(_ => rng.Next(count + 1)).Append(0).Append(count).Order().ToArray();
        var result = new List<MomentStatistics>();
        for (var p = 0; p + 1 < cuts.Length; p++)
        {
            var n = cuts[p + 1] - cuts[p];
            var block = new float[n * dimension];
            for (var r = 0; r < n; r++)
            {
                rows.AsSpan(order[cuts[p] + r] * dimension, dimension).CopyTo(block.AsSpan(r * dimension));
            }

            result.Add(MomentStatistics.FromRows(block, n, dimension));
        }

        return result;
    }

    private static MomentStatistics LeftFold(List<MomentStatistics> parts) => parts.Aggregate((a, b) => a.Merge(b));

    private static MomentStatistics Tree(List<MomentStatistics> parts) =>
        parts.Count == 1 ? parts[0] : Tree(parts[..(parts.Count / 2)]).Merge(Tree(parts[(parts.Count / 2)..]));
}
