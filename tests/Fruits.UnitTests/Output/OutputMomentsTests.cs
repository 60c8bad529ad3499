using Fruits.Pipeline.Output;
using Fruits.Pipeline.Statistics;
using Fruits.Pipeline.Storage;

namespace Fruits.UnitTests.Output;

public sealed class OutputMomentsTests : IDisposable
{
    private const int Dimension = 9;
    private readonly TempDirectory _temp = new("fruits-moments");

    [Fact]
    public async Task Stored_statistics_read_back_bit_for_bit_when_they_count_the_rows()
    {
        var store = new LocalObjectStore(_temp.Combine("out"));
        var statistics = Statistics(rows: 31);

        await OutputMoments.WriteAsync(store, statistics);
        var read = await OutputMoments.TryReadAsync(store, rows: 31);

        Assert.NotNull(read);
        Assert.Equal(Dimension, read.Dimension);
        Assert.Equal(31, read.Count);
        Assert.Equal(statistics.Mean, read.Mean);
        Assert.Equal(statistics.CoMoment, read.CoMoment);
    }

    [Fact]
    public async Task Statistics_of_other_rows_a_damaged_file_or_none_are_not_trusted()
    {
        var store = new LocalObjectStore(_temp.Combine("out"));
        Assert.Null(await OutputMoments.TryReadAsync(store, rows: 31));

        await OutputMoments.WriteAsync(store, Statistics(rows: 31));
        Assert.Null(await OutputMoments.TryReadAsync(store, rows: 30));

        var bytes = OutputMoments.Serialize(Statistics(rows: 31));
        for (var at = 0; at < bytes.Length; at += 97)
        {
            var damaged = (byte[])bytes.Clone();
            damaged[at] ^= 0x10;
            Assert.Null(OutputMoments.TryDeserialize(damaged));
        }

        Assert.Null(OutputMoments.TryDeserialize(bytes.AsSpan(0, bytes.Length - 1)));
        Assert.Null(OutputMoments.TryDeserialize([.. bytes, 0]));
        Assert.Null(OutputMoments.TryDeserialize([]));
        await store.WriteAsync(OutputLayout.Moments, bytes.AsMemory(0, bytes.Length / 2));
        Assert.Null(await OutputMoments.TryReadAsync(store, rows: 31));
    }

    public void Dispose() => _temp.Dispose();

    private static MomentStatistics Statistics(int rows)
    {
        var random = new Random(rows);
        var values = Enumerable.Range(0, rows * Dimension).Select(_ => (float)random.NextDouble()).ToArray();
        return MomentStatistics.FromRows(values, rows, Dimension);
    }
}
