using System.Collections;
using System.Text.Json.Serialization;
using Fruits.Pipeline.Output;
using Parquet;
using Parquet.Serialization;
using Parquet.Serialization.Attributes;

namespace Fruits.UnitTests.Output;

/// <summary>
/// Files of every column kind the direct writer knows, with nulls, several row groups and both codecs, must read back
/// exactly through Parquet.Net (which the pipeline reads them with) and DuckDB (what users' tools see); a row group
/// written out of its declared shape is refused.
/// </summary>
public sealed class PlainParquetWriterTests : IDisposable
{
    private const int Width = 5;
    private static readonly PlainColumn[] Columns =
    [
        new("name", PlainColumnKind.String),
        new("note", PlainColumnKind.OptionalString),
        new("number", PlainColumnKind.Int32),
        new("values", PlainColumnKind.FloatList, PlainCodec.Uncompressed),
        new("extra", PlainColumnKind.OptionalFloatList),
    ];

    private readonly TempDirectory _directory = new("fruits-plain-parquet");

    [Fact]
    public async Task Every_kind_of_column_reads_back_row_for_row_through_parquet_net_and_duckdb()
    {
        var expected = Enumerable.Range(0, 150).Select(Row).ToList();
        var path = _directory.Combine("all.parquet");
        await using (var file = File.Create(path))
        {
            var writer = new PlainParquetWriter(file, Columns, new Dictionary<string, string> { ["fruits.kind"] = "test" });
            foreach (var group in expected.Chunk(64))
            {
                await writer.WriteStringsAsync([.. group.Select(r => r.Name)]);
                await writer.WriteOptionalStringsAsync([.. group.Select(r => r.Note)]);
                await writer.WriteInt32sAsync(group.Select(r => r.Number).ToArray());
                await writer.WriteFloatListsAsync(group.SelectMany(r => r.Values).ToArray(), group.Length, Width);
                await writer.WriteOptionalFloatListsAsync(group.Where(r => r.Extra is not null).SelectMany(r => r.Extra!).ToArray(), [.. group.Select(r => r.Extra is not null)], Width);
            }

            await writer.CompleteAsync();
        }

        await using (var file = File.OpenRead(path))
        {
            await using var reader = await ParquetReader.CreateAsync(file);
            Assert.Equal(3, reader.RowGroupCount);
            Assert.Equal("test", reader.CustomMetadata["fruits.kind"]);
        }

        IList<TestRow> read;
        await using (var file = File.OpenRead(path))
        {
            read = (await ParquetSerializer.DeserializeAsync<TestRow>(file)).Data;
        }

        Assert.Equal(expected.Count, read.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal((expected[i].Name, expected[i].Note, expected[i].Number), (read[i].Name, read[i].Note, read[i].Number));
            Assert.Equal(expected[i].Values, read[i].Values);
            Assert.Equal(expected[i].Extra, read[i].Extra);
        }

        using var db = new DuckDb();
        var rows = db.Rows($"SELECT name, note, number, \"values\", extra FROM read_parquet({DuckDb.Quote(path)}) ORDER BY number");
        Assert.Equal(expected.Count, rows.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal((expected[i].Name, expected[i].Note, expected[i].Number), ((string)rows[i][0]!, (string?)rows[i][1], (int)rows[i][2]!));
            Assert.Equal(expected[i].Values, ((IList)rows[i][3]!).Cast<float>());
            Assert.Equal(expected[i].Extra, (rows[i][4] as IList)?.Cast<float>().ToArray());
        }

        // Each column's pages compressed as it declares.
        var codecs = db.Rows($"SELECT DISTINCT path_in_schema, compression FROM parquet_metadata({DuckDb.Quote(path)}) ORDER BY path_in_schema")
            .ToDictionary(r => (string)r[0]!, r => ((string)r[1]!).ToUpperInvariant());
        Assert.Equal("UNCOMPRESSED", codecs.Single(c => c.Key.StartsWith("values", StringComparison.Ordinal)).Value);
        Assert.All(codecs.Where(c => !c.Key.StartsWith("values", StringComparison.Ordinal)), c => Assert.Equal("SNAPPY", c.Value));
        Assert.Equal(5, codecs.Count);

        // The string column's minimum and maximum per row group, as DuckDB's filter pushdown reads them.
        Assert.Equal(64, db.Scalar<int>($"SELECT count(*) FROM read_parquet({DuckDb.Quote(path)}) WHERE name < 'row-064'"));
    }

    [Fact]
    public async Task A_row_group_out_of_its_declared_shape_is_refused()
    {
        using var stream = new MemoryStream();
        var writer = new PlainParquetWriter(stream, Columns);
        await Assert.ThrowsAsync<InvalidOperationException>(() => writer.WriteInt32sAsync(new[] { 1 }));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => writer.WriteStringsAsync([]));

        await writer.WriteStringsAsync(["a", "b"]);
        await Assert.ThrowsAsync<ArgumentException>(() => writer.WriteOptionalStringsAsync(["a"]));
        await writer.WriteOptionalStringsAsync(["a", null]);
        await writer.WriteInt32sAsync(new[] { 1, 2 });
        await Assert.ThrowsAsync<ArgumentException>(() => writer.WriteFloatListsAsync(new float[Width], 2, Width));
        await Assert.ThrowsAsync<InvalidOperationException>(() => writer.CompleteAsync());
        await writer.WriteFloatListsAsync(new float[2 * Width], 2, Width);
        await Assert.ThrowsAsync<ArgumentException>(() => writer.WriteOptionalFloatListsAsync(new float[2 * Width], [true, false], Width));
        await writer.WriteOptionalFloatListsAsync(new float[Width], [true, false], Width);
        await writer.CompleteAsync();

        stream.Position = 0;
        var read = (await ParquetSerializer.DeserializeAsync<TestRow>(stream)).Data;
        Assert.Equal(["a", "b"], read.Select(r => r.Name));
        Assert.Null(read[1].Extra);
    }

    [Fact]
    public async Task A_file_with_no_row_group_reads_as_empty()
    {
        var path = _directory.Combine("empty.parquet");
        await using (var file = File.Create(path))
        {
            await new PlainParquetWriter(file, Columns).CompleteAsync();
        }

        await using (var file = File.OpenRead(path))
        {
            Assert.Empty((await ParquetSerializer.DeserializeAsync<TestRow>(file)).Data);
        }

        using var db = new DuckDb();
        Assert.Equal(0, db.Scalar<int>($"SELECT count(*) FROM read_parquet({DuckDb.Quote(path)})"));
    }

    public void Dispose() => _directory.Dispose();

    /// <summary>Row i: every third note null, every other extra list null, values that differ by row and position.</summary>
    private static TestRow Row(int i) => new()
    {
        Name = $"row-{i:D3}",
        Note = i % 3 == 0 ? null : $"note é {i}",
        Number = i,
        Values = [.. Enumerable.Range(0, Width).Select(j => MathF.Sin((i * Width) + j))],
        Extra = i % 2 == 0 ? null : [.. Enumerable.Range(0, Width).Select(j => (float)(i - j))],
    };

    public sealed class TestRow
    {
        [JsonPropertyName("name"), ParquetRequired] public string Name { get; set; } = "";
        [JsonPropertyName("note")] public string? Note { get; set; }
        [JsonPropertyName("number")] public int Number { get; set; }
        [JsonPropertyName("values"), ParquetRequired, ParquetListElementRequired] public float[] Values { get; set; } = [];
        [JsonPropertyName("extra"), ParquetListElementRequired] public float[]? Extra { get; set; }
    }
}
