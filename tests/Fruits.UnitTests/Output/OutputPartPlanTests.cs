using Fruits.Pipeline.Output;
using Fruits.Pipeline.Storage;

namespace Fruits.UnitTests.Output;

public sealed class OutputPartPlanTests : IDisposable
{
    private readonly TempDirectory _temp = new("fruits-part-plan");

    [Fact]
    public void Consecutive_batches_fill_parts_up_to_the_target_and_every_batch_is_in_one_part()
    {
        var batches = Enumerable.Range(0, 10).Select(b => (Batch: b * 2, Rows: b == 7 ? 30 : 10)).ToList();

        var parts = OutputPartPlan.Plan(batches, targetBytes: 3000, bytesPerRow: 100);

        // 10 rows = 1,000 bytes a batch: three a part, and the oversized batch (3,000 bytes) alone.
        Assert.Equal([[0, 2, 4], [6, 8, 10], [12], [14], [16, 18]], parts.Select(p => p.ToList()).ToList());
        Assert.Equal(batches.Select(b => b.Batch), parts.SelectMany(p => p));
        Assert.Single(OutputPartPlan.Plan(batches, OutputPartPlan.DefaultPartBytes, OutputPartPlan.BytesPerRow(1280, 40)));
    }

    [Fact]
    public void An_output_below_the_target_is_cut_into_even_parts_for_every_worker_but_none_below_the_spread_minimum()
    {
        // The Test split's shape: 370 batches of 64 rows, 1,280 features and 61 components, about 130 MB estimated.
        var batches = Enumerable.Range(0, 370).Select(b => (Batch: b * 3, Rows: 64)).ToList();
        var bytesPerRow = OutputPartPlan.BytesPerRow(1280, 61);

        Assert.Single(OutputPartPlan.Plan(batches, OutputPartPlan.DefaultPartBytes, bytesPerRow));
        var two = OutputPartPlan.Plan(batches, OutputPartPlan.DefaultPartBytes, bytesPerRow, parallelism: 2);
        Assert.Equal([185, 185], two.Select(p => p.Length));
        Assert.Equal(batches.Select(b => b.Batch), two.SelectMany(p => p));

        // Sixteen workers would make parts of 8 MB: the output stops at three, each above the 32 MB spread minimum.
        var many = OutputPartPlan.Plan(batches, OutputPartPlan.DefaultPartBytes, bytesPerRow, parallelism: 16);
        Assert.Equal([124, 124, 122], many.Select(p => p.Length));
        Assert.All(many, p => Assert.True(p.Length * 64L * bytesPerRow >= OutputPartPlan.MinimumSpreadPartBytes));
        Assert.Equal(batches.Select(b => b.Batch), many.SelectMany(p => p));

        // Above the target the parts are the target's whatever the workers; uneven batches never make a part above it.
        var large = Enumerable.Range(0, 1000).Select(b => (Batch: b, Rows: 64 + (b % 7 * 40))).ToList();
        var byTarget = OutputPartPlan.Plan(large, OutputPartPlan.DefaultPartBytes, bytesPerRow);
        Assert.Equal(byTarget, OutputPartPlan.Plan(large, OutputPartPlan.DefaultPartBytes, bytesPerRow, parallelism: 2));
        var spread = OutputPartPlan.Plan(large, OutputPartPlan.DefaultPartBytes, bytesPerRow, parallelism: 12);
        Assert.Equal(12, spread.Count);
        Assert.All(spread, p => Assert.InRange(p.Sum(b => (long)large[b].Rows * bytesPerRow), OutputPartPlan.MinimumSpreadPartBytes, OutputPartPlan.DefaultPartBytes));
        Assert.Equal(large.Select(b => b.Batch), spread.SelectMany(p => p));
    }

    [Fact]
    public void An_output_above_the_target_is_cut_into_near_equal_parts_never_a_full_part_and_a_remnant()
    {
        // The Test split and 1,000 new photos: 385 batches, about 135 MB estimated, a little above the target.
        var batches = Enumerable.Range(0, 385).Select(b => (Batch: b, Rows: b == 384 ? 43 : 64)).ToList();
        var bytesPerRow = OutputPartPlan.BytesPerRow(1280, 61);
        var batchBytes = 64L * bytesPerRow;

        foreach (var parallelism in new[] { 1, 2 })
        {
            var parts = OutputPartPlan.Plan(batches, OutputPartPlan.DefaultPartBytes, bytesPerRow, parallelism);

            // Filled to the target one after another, the second part would hold three batches.
            Assert.Equal(2, parts.Count);
            Assert.All(parts, p => Assert.InRange(Bytes(p, batches, bytesPerRow), (Total(batches, bytesPerRow) / 2) - batchBytes, OutputPartPlan.DefaultPartBytes));
            Assert.Equal(batches.Select(b => b.Batch), parts.SelectMany(p => p));
        }

        // Many parts of uneven batches: as many as the target needs, none smaller than an even share less a batch.
        var large = Enumerable.Range(0, 1000).Select(b => (Batch: b, Rows: 64 + (b % 7 * 40))).ToList();
        var largest = large.Max(b => (long)b.Rows * bytesPerRow);
        var cut = OutputPartPlan.Plan(large, OutputPartPlan.DefaultPartBytes, bytesPerRow);
        Assert.Equal((int)((Total(large, bytesPerRow) + OutputPartPlan.DefaultPartBytes - 1) / OutputPartPlan.DefaultPartBytes), cut.Count);
        Assert.All(cut, p => Assert.InRange(Bytes(p, large, bytesPerRow), (Total(large, bytesPerRow) / cut.Count) - largest, OutputPartPlan.DefaultPartBytes));
        Assert.Equal(large.Select(b => b.Batch), cut.SelectMany(p => p));
    }

    private static long Total(List<(int Batch, int Rows)> batches, int bytesPerRow) => batches.Sum(b => (long)b.Rows * bytesPerRow);

    private static long Bytes(int[] part, List<(int Batch, int Rows)> batches, int bytesPerRow) =>
        part.Sum(b => (long)batches.Single(x => x.Batch == b).Rows * bytesPerRow);

    [Fact]
    public async Task A_part_of_many_batches_has_row_groups_of_whole_batches_and_reads_in_DuckDB()
    {
        var store = new LocalObjectStore(_temp.Path);
        const int Dimension = 6;
        const int K = 2;
        var blocks = Enumerable.Range(0, 7).Select(b =>
        {
            var rows = b == 6 ? 3 : 5;
            var paths = Enumerable.Range(0, rows).Select(i => $"/img/l{b % 2}/{b}-{i}.jpg").ToList();
            var features = Enumerable.Range(0, rows * Dimension).Select(i => (float)(b + (i * 0.01))).ToArray();
            var pca = Enumerable.Range(0, rows * K).Select(i => (float)(-b - (i * 0.1))).ToArray();
            return (new FeatureTable(paths, paths.Select(p => p.Split('/')[2]).ToList(), features, Dimension), pca);
        }).ToList();

        await FeatureParts.WriteProjectedAsync(store, "part-000000.parquet", blocks, K, rowGroupRows: 10);

        using var db = new DuckDb();
        var file = DuckDb.Quote(_temp.Combine("part-000000.parquet"));
        Assert.Equal(33, db.Scalar<int>($"SELECT count(DISTINCT path) FROM read_parquet({file})"));
        Assert.Equal([10L, 10L, 10L, 3L], db.Rows($"SELECT row_group_num_rows FROM parquet_metadata({file}) GROUP BY row_group_id, row_group_num_rows ORDER BY row_group_id").Select(r => Convert.ToInt64(r[0], System.Globalization.CultureInfo.InvariantCulture)).ToList());
        Assert.Equal(0, db.Scalar<int>($"SELECT count(*) FROM read_parquet({file}) WHERE len(features) <> {Dimension} OR len(pca_features) <> {K}"));
        // Rows keep their batch's features and projection.
        Assert.Equal(4f, db.Scalar<float>($"SELECT features[1] FROM read_parquet({file}) WHERE path = '/img/l0/4-0.jpg'"));
        Assert.Equal(-4.1f, db.Scalar<float>($"SELECT pca_features[2] FROM read_parquet({file}) WHERE path = '/img/l0/4-0.jpg'"));
        var back = await FeatureParts.ReadAsync(store, "part-000000.parquet");
        Assert.Equal(blocks.SelectMany(b => b.Item1.Paths), back.Paths);
    }

    [Fact]
    public async Task A_streamed_part_is_the_part_written_from_a_list_and_keeps_every_row_in_order()
    {
        var store = new LocalObjectStore(_temp.Path);
        const int Dimension = 6;
        const int K = 2;

        // Growing, shrinking and oversized batches: the row-group buffer grows while a group is cut, and a batch
        // larger than a group goes alone.
        var blocks = new[] { 3, 40, 2, 70, 5, 5 }.Select((rows, b) => Block(b, rows, Dimension, K)).ToList();

        await FeatureParts.WriteProjectedAsync(store, "listed.parquet", blocks, K, rowGroupRows: 50);
        await FeatureParts.WriteProjectedAsync(store, "streamed.parquet", Streamed(blocks), K, rowGroupRows: 50);

        Assert.Equal(await File.ReadAllBytesAsync(_temp.Combine("listed.parquet")), await File.ReadAllBytesAsync(_temp.Combine("streamed.parquet")));
        using var db = new DuckDb();
        var file = DuckDb.Quote(_temp.Combine("streamed.parquet"));
        Assert.Equal([45L, 70L, 10L], db.Rows($"SELECT row_group_num_rows FROM parquet_metadata({file}) GROUP BY row_group_id, row_group_num_rows ORDER BY row_group_id").Select(r => Convert.ToInt64(r[0], System.Globalization.CultureInfo.InvariantCulture)).ToList());
        var back = await FeatureParts.ReadAsync(store, "streamed.parquet");
        Assert.Equal(blocks.SelectMany(b => b.Table.Paths), back.Paths);
        Assert.Equal(blocks.SelectMany(b => b.Table.Features), back.FeatureBlock.ToArray());
        Assert.Equal((float)(-3 - (138 * 0.1)), db.Scalar<float>($"SELECT pca_features[1] FROM read_parquet({file}) WHERE path = '/img/l1/3-69.jpg'"));
    }

    [Fact]
    public async Task A_part_whose_batches_fail_midway_leaves_nothing_under_its_name_and_the_failure_as_it_was()
    {
        var store = new LocalObjectStore(_temp.Path);
        var blocks = Enumerable.Range(0, 4).Select(b => Block(b, 5, 6, 2)).ToList();

        await Assert.ThrowsAsync<IOException>(() => FeatureParts.WriteProjectedAsync(store, "part-000000.parquet", FailingAfter(blocks, 3), 2, rowGroupRows: 5));

        Assert.False(await store.ExistsAsync("part-000000.parquet"));
        Assert.Equal(0, await store.DeleteTemporaryFilesAsync());
    }

    public void Dispose() => _temp.Dispose();

    private static (FeatureTable Table, float[] Pca) Block(int batch, int rows, int dimension, int k)
    {
        var paths = Enumerable.Range(0, rows).Select(i => $"/img/l{batch % 2}/{batch}-{i}.jpg").ToList();
        var features = Enumerable.Range(0, rows * dimension).Select(i => (float)(batch + (i * 0.01))).ToArray();
        var pca = Enumerable.Range(0, rows * k).Select(i => (float)(-batch - (i * 0.1))).ToArray();
        return (new FeatureTable(paths, paths.Select(p => p.Split('/')[2]).ToList(), features, dimension), pca);
    }

    private static async IAsyncEnumerable<(FeatureTable Table, float[] Pca)> Streamed(IEnumerable<(FeatureTable Table, float[] Pca)> blocks)
    {
        foreach (var block in blocks)
        {
            await Task.Yield();
            yield return block;
        }
    }

    private static async IAsyncEnumerable<(FeatureTable Table, float[] Pca)> FailingAfter(IEnumerable<(FeatureTable Table, float[] Pca)> blocks, int count)
    {
        foreach (var block in blocks.Take(count))
        {
            await Task.Yield();
            yield return block;
        }

        throw new IOException("a batch's features part did not read");
    }
}
