using Fruits.Pipeline.Output;
using Fruits.Pipeline.Storage;

namespace Fruits.UnitTests.Output;

/// <summary>The columnar part writer must produce exactly what the row serializer and DuckDB read.</summary>
public sealed class FeaturePartsTests : IDisposable
{
    private const int Dimension = 1280;
    private readonly TempDirectory _directory = new("fruits-parts");
    private readonly LocalObjectStore _store;

    public FeaturePartsTests() => _store = new LocalObjectStore(_directory.Path);

    [Fact]
    public async Task Features_round_trip_and_match_the_row_serializer()
    {
        var table = SyntheticFeatures.Table(5, seed: 1, Dimension);
        await FeatureParts.WriteAsync(_store, "features.parquet", table);

        var back = await FeatureParts.ReadAsync(_store, "features.parquet");
        Assert.Equal(table.Paths, back.Paths);
        Assert.Equal(table.Labels, back.Labels);
        Assert.Equal(Dimension, back.Dimension);
        Assert.True(table.FeatureBlock.SequenceEqual(back.FeatureBlock));

        // The row-object reader sees the same rows, so both writers are interchangeable.
        var rows = await ParquetParts.ReadAsync<FeatureRow>(_store, "features.parquet");
        Assert.Equal(5, rows.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            Assert.Equal(table.Paths[i], rows[i].Path);
            Assert.True(table.Row(i).SequenceEqual(rows[i].Features));
        }
    }

    [Fact]
    public async Task Reads_parts_written_by_the_row_serializer()
    {
        var table = SyntheticFeatures.Table(3, seed: 2, Dimension);
        var rows = Enumerable.Range(0, table.Count)
            .Select(i => new FeatureRow { Path = table.Paths[i], Label = table.Labels[i], Features = table.Row(i).ToArray() })
            .ToList();
        await ParquetParts.WriteAsync(_store, "rows.parquet", rows);

        var back = await FeatureParts.ReadAsync(_store, "rows.parquet");
        Assert.Equal(table.Paths, back.Paths);
        Assert.True(table.FeatureBlock.SequenceEqual(back.FeatureBlock));
    }

    [Fact]
    public async Task Projected_part_has_the_seed_schema_in_duckdb()
    {
        const int k = 7;
        var table = SyntheticFeatures.Table(4, seed: 3, Dimension);
        var pca = Enumerable.Range(0, table.Count * k).Select(i => i * 0.5f - 3f).ToArray();
        await FeatureParts.WriteProjectedAsync(_store, "part-000000.parquet", [(table, pca)], k, rowGroupRows: table.Count);

        using var duck = new DuckDb();
        var file = DuckDb.Quote(_directory.Combine("part-000000.parquet"));
        var schema = duck.Rows($"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM {file})")
            .Select(r => $"{r[0]} {r[1]}").ToList();
        Assert.Equal(["path VARCHAR", "label VARCHAR", "features FLOAT[]", "pca_features FLOAT[]"], schema);

        var rows = duck.Rows($"SELECT path, label, len(features), features[1], features[{Dimension}], pca_features FROM {file} ORDER BY path");
        Assert.Equal(table.Count, rows.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            Assert.Equal(table.Paths[i], rows[i][0]);
            Assert.Equal(table.Labels[i], rows[i][1]);
            Assert.Equal((long)Dimension, Convert.ToInt64(rows[i][2], System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(table.Row(i)[0], (float)rows[i][3]!);
            Assert.Equal(table.Row(i)[Dimension - 1], (float)rows[i][4]!);
            Assert.Equal(pca.AsSpan(i * k, k).ToArray(), ((System.Collections.IEnumerable)rows[i][5]!).Cast<float>().ToArray());
        }
    }

    [Fact]
    public async Task A_part_of_several_row_groups_and_pages_reads_the_same_in_duckdb_and_both_parquet_net_readers()
    {
        // 1,033 rows in groups of 700 and 333; a page holds about a megabyte of a list column, so each group's
        // features span several pages, and its components one.
        const int k = 11;
        var tables = new[] { SyntheticFeatures.Table(700, seed: 5, Dimension), SyntheticFeatures.Table(333, seed: 6, Dimension) };
        var pca = tables.Select(t => Enumerable.Range(0, t.Count * k).Select(i => MathF.Cos(i) * 9f).ToArray()).ToArray();
        await FeatureParts.WriteProjectedAsync(_store, "part-000001.parquet", [(tables[0], pca[0]), (tables[1], pca[1])], k, rowGroupRows: 700);
        var paths = tables.SelectMany(t => t.Paths).ToList();
        var features = tables.SelectMany(t => t.FeatureBlock.ToArray()).ToArray();
        var components = pca.SelectMany(p => p).ToArray();

        using var duck = new DuckDb();
        var file = DuckDb.Quote(_directory.Combine("part-000001.parquet"));
        Assert.Equal("2", duck.Rows($"SELECT count(DISTINCT row_group_id) FROM parquet_metadata({file})")[0][0]!.ToString());

        // Each group's path range, as DuckDB reads it from the footer, so a filter on path skips the other group.
        var ranges = duck.Rows($"SELECT stats_min_value, stats_max_value FROM parquet_metadata({file}) WHERE path_in_schema = 'path' ORDER BY row_group_id");
        Assert.Equal([tables[0].Paths.Min(StringComparer.Ordinal), tables[0].Paths.Max(StringComparer.Ordinal)], ranges[0]);
        Assert.Equal([tables[1].Paths.Min(StringComparer.Ordinal), tables[1].Paths.Max(StringComparer.Ordinal)], ranges[1]);
        var rows = duck.Rows($"SELECT path, features, pca_features FROM {file}");
        Assert.Equal(paths, rows.Select(r => (string)r[0]!));
        for (var i = 0; i < rows.Count; i++)
        {
            Assert.Equal(features.AsSpan(i * Dimension, Dimension).ToArray(), ((System.Collections.IEnumerable)rows[i][1]!).Cast<float>().ToArray());
            Assert.Equal(components.AsSpan(i * k, k).ToArray(), ((System.Collections.IEnumerable)rows[i][2]!).Cast<float>().ToArray());
        }

        var back = await FeatureParts.ReadAsync(_store, "part-000001.parquet");
        Assert.Equal(paths, back.Paths);
        Assert.True(features.AsSpan().SequenceEqual(back.FeatureBlock));

        // An index of the output reads the projections alone, the same rows.
        var projections = await FeatureParts.ReadProjectionsAsync(_store, "part-000001.parquet");
        Assert.Equal(paths, projections.Paths);
        Assert.Equal(k, projections.Dimension);
        Assert.True(components.AsSpan().SequenceEqual(projections.FeatureBlock));

        var serialized = await ParquetParts.ReadAsync<OutputRow>(_store, "part-000001.parquet");
        Assert.Equal(paths, serialized.Select(r => r.Path));
        Assert.Equal(components.AsSpan(1032 * k, k).ToArray(), serialized[1032].PcaFeatures);
    }

    /// <summary>The part of a batch whose every image failed: no row, its commit in the footer, readable by DuckDB too.</summary>
    [Fact]
    public async Task Empty_part_round_trips()
    {
        await FeatureParts.WriteAsync(_store, "empty.parquet", new FeatureTable([], [], [], Dimension), new BatchCommit(3, 0, 3, 0));
        var (back, commit) = await FeatureParts.ReadWithCommitAsync(_store, "empty.parquet");
        Assert.Equal(0, back.Count);
        Assert.Equal((3, 0, 3), (commit!.Listed, commit.Succeeded, commit.Failed));
        using var db = new DuckDb();
        Assert.Equal(0, db.Scalar<int>($"SELECT count(*) FROM read_parquet({DuckDb.Quote(_directory.Combine("empty.parquet"))})"));
    }

    [Fact]
    public async Task Ragged_feature_lists_are_refused()
    {
        var rows = new List<FeatureRow>
        {
            new() { Path = "a.jpg", Label = "A", Features = [1f, 2f, 3f] },
            new() { Path = "b.jpg", Label = "A", Features = [1f, 2f] },
            new() { Path = "c.jpg", Label = "A", Features = [1f] },
        };
        await ParquetParts.WriteAsync(_store, "ragged.parquet", rows);
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => FeatureParts.ReadAsync(_store, "ragged.parquet"));
        Assert.Contains("ragged.parquet", error.Message, StringComparison.Ordinal);
    }

    public void Dispose() => _directory.Dispose();
}
