using Fruits.Pipeline.Classifying;

namespace Fruits.UnitTests.Classifying;

public sealed class NearestListTests
{
    [Fact]
    public void Keeps_the_nearest_in_order_and_ties_in_the_order_offered()
    {
        var list = new NearestList(3);
        Assert.Equal(float.PositiveInfinity, list.Bound);

        Assert.True(list.Offer(5, 0));
        Assert.True(list.Offer(2, 1));
        Assert.True(list.Offer(5, 2));
        Assert.Equal(5, list.Bound);
        // Not under the bound: a later row at the farthest distance does not displace an earlier one.
        Assert.False(list.Offer(5, 3));
        Assert.True(list.Offer(2, 4));
        Assert.False(list.Offer(float.NaN, 5));

        Assert.Equal(3, list.Count);
        Assert.Equal([1, 4, 0], Enumerable.Range(0, list.Count).Select(list.RowAt));
        Assert.Equal([2f, 2f, 5f], Enumerable.Range(0, list.Count).Select(list.DistanceAt));
        Assert.Throws<ArgumentOutOfRangeException>(() => list.RowAt(3));
    }

    [Fact]
    public void Merging_lists_of_ascending_row_ranges_in_order_answers_one_list_over_all_rows()
    {
        var random = new Random(9);
        // Few distinct distances: many ties, across the ranges too.
        var distances = Enumerable.Range(0, 1_000).Select(_ => (float)random.Next(20)).ToArray();
        var whole = new NearestList(25);
        for (var r = 0; r < distances.Length; r++)
        {
            whole.Offer(distances[r], r);
        }

        var merged = new NearestList(25);
        foreach (var (first, end) in new[] { (0, 300), (300, 310), (310, 1_000) })
        {
            var part = new NearestList(25);
            for (var r = first; r < end; r++)
            {
                part.Offer(distances[r], r);
            }

            merged.OfferAll(part);
        }

        var expected = Enumerable.Range(0, distances.Length).OrderBy(r => distances[r]).ThenBy(r => r).Take(25).ToList();
        Assert.Equal(expected, Enumerable.Range(0, whole.Count).Select(whole.RowAt));
        Assert.Equal(expected, Enumerable.Range(0, merged.Count).Select(merged.RowAt));
    }

    [Fact]
    public void A_cleared_list_holds_nothing()
    {
        var list = new NearestList(2);
        list.Offer(1, 7);
        list.Clear();

        Assert.Equal(0, list.Count);
        Assert.Equal(float.PositiveInfinity, list.Bound);
    }
}
