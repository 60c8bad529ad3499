using Fruits.Pipeline.Output;
using Fruits.Pipeline.Reuse;
using Fruits.Pipeline.Storage;
using Parquet;
using Parquet.Schema;

namespace Fruits.UnitTests.Output;

/// <summary>
/// The direct reader of list-of-float column chunks must read exactly what Parquet.Net reads from the parts this
/// project writes, and must decline (null, never a wrong block) every chunk in another layout, which then reads as before.
/// </summary>
public sealed class FloatListColumnChunkTests : IDisposable
{
    private const int Dimension = 1280;
    private readonly TempDirectory _directory = new("fruits-chunks");
    private readonly LocalObjectStore _store;

    public FloatListColumnChunkTests() => _store = new LocalObjectStore(_directory.Path);

    [Fact]
    public async Task Every_row_group_of_a_final_part_reads_as_parquet_net_reads_it()
    {
        const int k = 9;
        var first = SyntheticFeatures.Table(700, seed: 1, Dimension, zeros: 1.0 / 3);
        var second = SyntheticFeatures.Table(333, seed: 2, Dimension, zeros: 1.0 / 3);
        var pca = Enumerable.Range(0, 1033 * k).Select(i => MathF.Sin(i) * 40f).ToArray();
        await FeatureParts.WriteProjectedAsync(_store, "part-000000.parquet", [(first, pca[..(700 * k)]), (second, pca[(700 * k)..])], k, rowGroupRows: 700);

        await using var file = File.OpenRead(_directory.Combine("part-000000.parquet"));
        await using var reader = await ParquetReader.CreateAsync(file);
        Assert.Equal(2, reader.RowGroupCount);
        var fields = reader.Schema.GetDataFields();
        var read = 0;
        foreach (var (name, width) in new[] { ("features", Dimension), ("pca_features", k) })
        {
            var field = fields.Single(f => f.Path.ToString().StartsWith(name + "/", StringComparison.Ordinal));
            for (var g = 0; g < reader.RowGroupCount; g++)
            {
                using var group = reader.OpenRowGroupReader(g);
                var rows = checked((int)group.RowCount);
                var direct = new float[rows * width];
                Assert.Equal(width, await FloatListColumnChunk.TryReadAsync(file, group.GetMetadata(field), field, rows, direct));
                Assert.Equal(await ParquetNetValuesAsync(group, field, rows * width), direct);
                read += rows;
            }
        }

        Assert.Equal(2 * 1033, read);
        var back = await FeatureParts.ReadAsync(_store, "part-000000.parquet");
        Assert.True(back.FeatureBlock.SequenceEqual([.. first.FeatureBlock, .. second.FeatureBlock]));
    }

    [Fact]
    public async Task A_store_segment_s_uncompressed_chunk_reads_as_parquet_net_reads_it()
    {
        var table = SyntheticFeatures.Table(64, seed: 3, Dimension, zeros: 1.0 / 3);
        var hashes = Enumerable.Range(0, table.Count).Select(i => ContentHash.Of(BitConverter.GetBytes(i))).ToList();
        var id = await new FeatureStore(_store).WriteAsync(hashes, table.FeatureBlock.ToArray(), Dimension, index: null);

        await using var file = File.OpenRead(_directory.Combine(FeatureStoreLayout.Segment(id)));
        await using var reader = await ParquetReader.CreateAsync(file);
        var field = reader.Schema.GetDataFields().Single(f => f.Path.ToString().StartsWith("features/", StringComparison.Ordinal));
        using var group = reader.OpenRowGroupReader(0);
        var chunk = group.GetMetadata(field)!;
        Assert.Equal("UNCOMPRESSED", chunk.MetaData!.Codec.ToString(), ignoreCase: true);
        var direct = new float[table.Count * Dimension];
        Assert.Equal(Dimension, await FloatListColumnChunk.TryReadAsync(file, chunk, field, table.Count, direct));
        Assert.Equal(await ParquetNetValuesAsync(group, field, table.Count * Dimension), direct);
        Assert.True(direct.AsSpan().SequenceEqual(table.FeatureBlock));
    }

    [Fact]
    public async Task Ragged_lists_are_declined_and_still_refused_by_the_part_reader()
    {
        var rows = new List<FeatureRow>
        {
            new() { Path = "a.jpg", Label = "A", Features = [1f, 2f] },
            new() { Path = "b.jpg", Label = "A", Features = [3f, 4f, 5f] },
            new() { Path = "c.jpg", Label = "A", Features = [6f] },
        };
        await ParquetParts.WriteAsync(_store, "ragged.parquet", rows);

        // Six values over three rows would make rows of two: only the levels show that they are not.
        Assert.Null(await ReadFeaturesDirectlyAsync("ragged.parquet", CompressionMethod.Snappy));
        await Assert.ThrowsAsync<InvalidDataException>(() => FeatureParts.ReadAsync(_store, "ragged.parquet"));
    }

    [Fact]
    public async Task A_chunk_compressed_otherwise_is_declined_and_read_by_parquet_net()
    {
        var table = SyntheticFeatures.Table(20, seed: 3, Dimension, zeros: 1.0 / 3);
        var rows = Enumerable.Range(0, table.Count)
            .Select(i => new FeatureRow { Path = table.Paths[i], Label = table.Labels[i], Features = table.Row(i).ToArray() })
            .ToList();
        await using (var stream = File.Create(_directory.Combine("gzip.parquet")))
        {
            await Parquet.Serialization.ParquetSerializer.SerializeAsync(rows, stream, new ParquetOptions { CompressionMethod = CompressionMethod.Gzip });
        }

        Assert.Null(await ReadFeaturesDirectlyAsync("gzip.parquet", CompressionMethod.Gzip));
        var back = await FeatureParts.ReadAsync(_store, "gzip.parquet");
        Assert.True(table.FeatureBlock.SequenceEqual(back.FeatureBlock));
    }

    [Fact]
    public async Task A_truncated_or_damaged_chunk_is_declined_not_misread()
    {
        var table = SyntheticFeatures.Table(50, seed: 4, Dimension, zeros: 1.0 / 3);
        await FeatureParts.WriteAsync(_store, "features.parquet", table);
        var bytes = await File.ReadAllBytesAsync(_directory.Combine("features.parquet"));

        await using var reader = await ParquetReader.CreateAsync(new MemoryStream(bytes));
        var field = reader.Schema.GetDataFields().Single(f => f.Path.ToString().StartsWith("features/", StringComparison.Ordinal));
        using var group = reader.OpenRowGroupReader(0);
        var chunk = group.GetMetadata(field)!;
        var start = checked((int)chunk.MetaData!.DataPageOffset);
        var size = checked((int)chunk.MetaData.TotalCompressedSize);

        // The intact bytes read; cut short of the chunk's end, they are declined.
        Assert.Equal(Dimension, await FloatListColumnChunk.TryReadAsync(new MemoryStream(bytes), chunk, field, 50, new float[50 * Dimension]));
        Assert.Null(await FloatListColumnChunk.TryReadAsync(new MemoryStream(bytes[..(start + size - 1)]), chunk, field, 50, new float[50 * Dimension]));

        // A page header whose sizes no longer fit the chunk is declined.
        var damaged = (byte[])bytes.Clone();
        damaged[start + 2] ^= 0x55;
        damaged[start + 3] ^= 0x55;
        Assert.Null(await FloatListColumnChunk.TryReadAsync(new MemoryStream(damaged), chunk, field, 50, new float[50 * Dimension]));

        // So is a destination that is not the chunk's value count, or a row count that does not divide it.
        Assert.Null(await FloatListColumnChunk.TryReadAsync(new MemoryStream(bytes), chunk, field, 50, new float[(50 * Dimension) - 1]));
        Assert.Null(await FloatListColumnChunk.TryReadAsync(new MemoryStream(bytes), chunk, field, 49, new float[50 * Dimension]));
    }

    public void Dispose() => _directory.Dispose();

    private async Task<int?> ReadFeaturesDirectlyAsync(string key, CompressionMethod expected)
    {
        await using var file = File.OpenRead(_directory.Combine(key));
        await using var reader = await ParquetReader.CreateAsync(file);
        var field = reader.Schema.GetDataFields().Single(f => f.Path.ToString().StartsWith("features/", StringComparison.Ordinal));
        using var group = reader.OpenRowGroupReader(0);
        var chunk = group.GetMetadata(field)!;
        Assert.Equal(expected.ToString(), chunk.MetaData!.Codec.ToString(), ignoreCase: true);
        return await FloatListColumnChunk.TryReadAsync(file, chunk, field, checked((int)group.RowCount), new float[chunk.MetaData.NumValues]);
    }

    private static async Task<float[]> ParquetNetValuesAsync(ParquetRowGroupReader group, DataField field, int values)
    {
        var block = new float[values];
        var levels = new int[values * 2];
        await group.ReadRawAsync(field, block.AsMemory(), levels.AsMemory(0, values), levels.AsMemory(values, values));
        return block;
    }
}
