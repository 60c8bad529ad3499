using Fruits.Pipeline.Classifying;

namespace Fruits.UnitTests.Classifying;

public sealed class ExactIndexTests
{
    [Theory]
    [InlineData(3, 500)]
    [InlineData(8, 500)]
    [InlineData(37, 500)]
    [InlineData(5, ExactIndex.ParallelRows + 3000)] // scanned in parallel slices
    public void Search_answers_the_rows_a_brute_force_sort_answers(int dimension, int rows)
    {
        var random = new Random(dimension);
        var data = new float[rows * dimension];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = (float)random.NextDouble();
        }

        var labels = Enumerable.Range(0, rows).Select(i => $"label-{i % 7}").ToList();
        var paths = Enumerable.Range(0, rows).Select(i => $"/images/{i}.jpg").ToList();
        var index = new ExactIndex(dimension, data, labels, paths);
        var query = Enumerable.Range(0, dimension).Select(_ => (float)random.NextDouble()).ToArray();

        var expected = Enumerable.Range(0, rows)
            .Select(r => (Row: r, Distance: Math.Sqrt(Enumerable.Range(0, dimension).Sum(j => Math.Pow(data[(r * dimension) + j] - query[j], 2)))))
            .OrderBy(x => x.Distance)
            .Take(10)
            .ToList();
        var actual = index.Search(query, 10);

        Assert.Equal(expected.Select(e => paths[e.Row]), actual.Select(a => a.Path));
        Assert.Equal(expected.Select(e => labels[e.Row]), actual.Select(a => a.Label));
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Distance, actual[i].Distance, 4);
        }
    }

    [Fact]
    public void Search_for_more_rows_than_held_answers_them_all_and_an_exact_copy_is_at_distance_zero()
    {
        var index = new ExactIndex(2, [0, 0, 3, 4, 1, 1], ["a", "b", "a"], ["p0", "p1", "p2"]);

        var all = index.Search([3, 4], 10);

        Assert.Equal(["p1", "p2", "p0"], all.Select(r => r.Path));
        Assert.Equal(0f, all[0].Distance);
        Assert.Equal(5f, all[2].Distance, 5);
        Assert.Equal(["a", "b"], index.Labels);
        Assert.True(index.Contains("p2"));
        Assert.False(index.Contains("/etc/passwd"));
        Assert.InRange(index.BytesPerRow(), (2 * 4) + 4, 200);
    }

    [Fact]
    public void A_query_of_the_wrong_dimension_is_refused() =>
        Assert.Throws<ArgumentException>(() => new ExactIndex(2, [0, 0], ["a"], ["p"]).Search([1, 2, 3], 1));

    [Fact]
    public void Merged_shards_answer_what_one_index_over_all_rows_answers()
    {
        var random = new Random(5);
        const int dimension = 16;
        var data = Enumerable.Range(0, 300 * dimension).Select(_ => (float)random.NextDouble()).ToArray();
        var labels = Enumerable.Range(0, 300).Select(i => $"l{i % 5}").ToList();
        var paths = Enumerable.Range(0, 300).Select(i => $"p{i:D3}").ToList();
        var whole = new ExactIndex(dimension, data, labels, paths);
        var shards = new[] { (0, 120), (120, 100), (220, 80) }
            .Select(s => new ExactIndex(dimension, data.AsSpan(s.Item1 * dimension, s.Item2 * dimension).ToArray(), labels.GetRange(s.Item1, s.Item2), paths.GetRange(s.Item1, s.Item2)))
            .ToList();
        var query = data.AsSpan(42 * dimension, dimension).ToArray();

        var merged = NearestMerge.Merge(shards.Select(s => s.Search(query, 7)), 7);

        Assert.Equal(whole.Search(query, 7), merged);
        Assert.Equal("p042", merged[0].Path);
    }

    [Fact]
    public void Votes_are_weighted_by_distance_and_their_scores_sum_to_one()
    {
        // Two far apples do not outvote one near pear.
        var votes = LabelVote.Tally(
        [
            new NearestRow("a", "pear", 0.5f),
            new NearestRow("b", "apple", 3f),
            new NearestRow("c", "apple", 4f),
            new NearestRow("d", "kiwi", 0f),
        ], 2);

        Assert.Equal(["kiwi", "pear"], votes.Select(v => v.Label));
        var all = LabelVote.Tally([new NearestRow("a", "pear", 0.5f), new NearestRow("b", "apple", 3f), new NearestRow("c", "apple", 4f)], 5);
        Assert.Equal(["pear", "apple"], all.Select(v => v.Label));
        Assert.Equal(2, all[1].Votes);
        Assert.Equal(1.0, all.Sum(v => v.Score), 9);
    }
}
