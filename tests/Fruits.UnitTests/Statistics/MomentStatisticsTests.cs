using Fruits.Pipeline.Statistics;

namespace Fruits.UnitTests.Statistics;

public sealed class MomentStatisticsTests
{
    [Fact]
    public void Tiny_hand_computed()
    {
        // Rows (1,2), (3,6), (5,4): mean (3,4); centred (-2,-2), (0,2), (2,0) -> M2 = [[8,4],[4,8]].
        float[] rows = [1, 2, 3, 6, 5, 4];
        var s = MomentStatistics.FromRows(rows, 3, 2);
        Assert.Equal(3, s.Count);
        Assert.Equal([3.0, 4.0], s.Mean);
        Assert.Equal([8.0, 4.0, 8.0], s.CoMoment);
        Assert.Equal(2.0, s.Covariance(1, 0));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(5, 3)]
    [InlineData(7, 13)]
    [InlineData(300, 37)] // more rows than one internal chunk, dimension not a multiple of the panel width
    [InlineData(64, 1280)]
    [InlineData(300, 203)] // several column blocks per chunk, three-panel tiles with panels left over, a partial last panel
    public void FromRows_matches_naive_double(int count, int dimension)
    {
        var rows = StatisticsTestData.NonNegativeRows(count * 31 + dimension, count, dimension);
        var (mean, m2) = StatisticsTestData.Naive(rows, count, dimension);
        var s = MomentStatistics.FromRows(rows, count, dimension);
        Assert.Equal(count, s.Count);
        Assert.Equal(dimension, s.Dimension);
        StatisticsTestData.AssertClose(mean, (i, j) => m2[i, j], s, 1e-9);
    }

    [Fact]
    public void FromRows_ignores_trailing_data_and_handles_zero_rows()
    {
        var rows = StatisticsTestData.NonNegativeRows(3, 10, 9);
        var first = MomentStatistics.FromRows(rows, 4, 9);
        var (mean, m2) = StatisticsTestData.Naive(rows, 4, 9);
        StatisticsTestData.AssertClose(mean, (i, j) => m2[i, j], first, 1e-12);

        var none = MomentStatistics.FromRows(rows, 0, 9);
        Assert.Equal(0, none.Count);
        Assert.All(none.CoMoment, v => Assert.Equal(0.0, v));
        Assert.Equal(45, none.CoMoment.Length);
    }

    [Fact]
    public void Invalid_arguments_throw()
    {
        Assert.Throws<ArgumentException>(() => MomentStatistics.FromRows(new float[5], 2, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => MomentStatistics.FromRows(new float[6], -1, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => MomentStatistics.FromRows(new float[6], 1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => MomentStatistics.Empty(0));
        Assert.Throws<ArgumentException>(() => MomentStatistics.Empty(3).Merge(MomentStatistics.Empty(4)));
        Assert.Throws<ArgumentException>(() => MomentStatistics.MergeAll([]));
    }

    [Fact]
    public void Packed_index_is_row_major_upper_triangle()
    {
        var p = 0;
        for (var i = 0; i < 6; i++)
        {
            for (var j = i; j < 6; j++, p++)
            {
                Assert.Equal(p, PackedTriangle.Index(6, i, j));
                Assert.Equal(p, PackedTriangle.Index(6, j, i));
            }
        }

        Assert.Equal(p, PackedTriangle.Length(6));
    }
}
