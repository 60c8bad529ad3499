using System.Text.Json;
using Amazon.S3.Model;
using Fruits.Grains;
using Fruits.Grains.Interfaces;
using Fruits.Pipeline.Plots;
using Fruits.Pipeline.Statistics;
using Fruits.Pipeline.Storage;
using Fruits.IntegrationTests.Aws;
using Fruits.IntegrationTests.Clustering;
using Fruits.IntegrationTests.EndToEnd;
using SkiaSharp;

namespace Fruits.IntegrationTests.Output;

/// <summary>The pictures and the `inspect` / `export-csv` commands, on a real job's output.</summary>
[Collection(TwoSiloCollection.Name)]
public sealed class ResultToolsTests(TwoSiloClusterFixture fixture) : IAsyncLifetime
{
    private readonly TempDirectory _temp = new();
    private string _input = "";
    private string _output = "";

    public async Task InitializeAsync()
    {
        _input = ImageSubset.CopyTo(_temp.Combine("input"), labels: 14, perLabel: 6);
        _output = _temp.Combine("output");
        var spec = new JobSpec(StorageLocation.Parse(_input).ToContract(), StorageLocation.Parse(_output).ToContract(), new PcaSelectionData(0.75), 16);
        var status = await fixture.RunJobAsync($"results-tools-{Guid.NewGuid():N}", spec, TimeSpan.FromMinutes(5));
        Assert.True(status.Phase == JobPhase.Completed, $"{status.Phase}: {status.Error}");
    }

    public Task DisposeAsync()
    {
        _temp.Dispose();
        return Task.CompletedTask;
    }

    [Theory]
    [InlineData("explained_variance.png")]
    [InlineData("pca_scatter.png")]
    public void Plots_are_written_and_decode_at_the_expected_size(string name)
    {
        using var bitmap = SKBitmap.Decode(Path.Combine(_output, name));
        Assert.NotNull(bitmap);
        var renderer = new PlotRenderer();
        Assert.Equal(renderer.Width, bitmap.Width);
        Assert.Equal(renderer.Height, bitmap.Height);
        // Not a blank canvas: a real plot has many distinct colours.
        var colours = new HashSet<uint>();
        for (var y = 0; y < bitmap.Height; y += 7)
        {
            for (var x = 0; x < bitmap.Width; x += 7)
            {
                colours.Add((uint)bitmap.GetPixel(x, y));
            }
        }

        Assert.True(colours.Count > 20, $"{name} has only {colours.Count} colours");
    }

    [Fact]
    public async Task Inspect_reports_schema_counts_and_filters()
    {
        var all = await RunJsonAsync(["inspect", _output, "--json"]);
        Assert.Equal(84, all.GetProperty("rows").GetInt32());
        Assert.Equal(14, all.GetProperty("labels").EnumerateObject().Count());
        Assert.Equal("list<float> (1280)", all.GetProperty("schema").GetProperty("features").GetString());
        Assert.Equal(5, all.GetProperty("head").GetArrayLength());

        var label = Directory.GetDirectories(_input).Order(StringComparer.Ordinal).First();
        var filtered = await RunJsonAsync(["inspect", _output, "--label", Path.GetFileName(label), "--json"]);
        Assert.Equal(6, filtered.GetProperty("rows").GetInt32());

        var one = Directory.GetFiles(label).Order(StringComparer.Ordinal).First();
        var byPath = await RunJsonAsync(["inspect", _output, "--path", one, "--json"]);
        Assert.Equal(1, byPath.GetProperty("rows").GetInt32());
    }

    [Fact]
    public async Task Inspect_prints_tables_for_a_person()
    {
        // The feature previews are bracketed lists, which the console's markup would read as style tags.
        await using var process = ChildProcess.Start("fruits", ["inspect", _output, "--rows", "2"], new Dictionary<string, string>());
        Assert.True(await process.WaitAsync(TimeSpan.FromMinutes(2)) == 0, process.Output);
        Assert.Contains("84 rows, 14 labels", process.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("list<float> (1280)", process.StandardOutput, StringComparison.Ordinal);
        Assert.Contains(", ... (1280)]", process.StandardOutput, StringComparison.Ordinal);
        var first = Directory.GetDirectories(_input).Order(StringComparer.Ordinal).Select(Path.GetFileName).First();
        Assert.Contains(first!, process.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Export_csv_writes_the_seeds_columns_with_the_image_as_base64()
    {
        var csv = _temp.Combine("export.csv");
        await using (var export = ChildProcess.Start("fruits", ["export-csv", _output, csv], new Dictionary<string, string>()))
        {
            Assert.True(await export.WaitAsync(TimeSpan.FromMinutes(2)) == 0, export.Output);
        }

        using var db = new DuckDb();
        var file = DuckDb.Quote(csv);
        Assert.Equal(84, db.Scalar<int>($"SELECT count(*) FROM read_csv({file}, header = true)"));
        var row = db.Rows($"SELECT path, label, pca_features, image_base64 FROM read_csv({file}, header = true) ORDER BY path LIMIT 1").Single();
        var path = (string)row[0]!;
        Assert.Equal(File.ReadAllBytes(path), Convert.FromBase64String((string)row[3]!));
        var pca = JsonSerializer.Deserialize<float[]>((string)row[2]!)!;
        var k = db.Scalar<int>($"SELECT len(pca_features) FROM read_parquet({DuckDb.Quote(Path.Combine(_output, "part-*.parquet"))}) LIMIT 1");
        Assert.Equal(k, pca.Length);
        Assert.Equal(Path.GetFileName(Path.GetDirectoryName(path)), (string)row[1]!);
    }

    [Fact]
    public async Task Inspect_and_export_csv_reach_the_S3_endpoint_of_the_Fruits_S3_settings()
    {
        // The job's output copied to a bucket of a local S3 endpoint that only Fruits:S3:ServiceUrl names.
        await using var moto = await MotoServer.StartAsync();
        using var s3 = MotoS3StoreFixture.Client(moto.Endpoint);
        const string bucket = "inspect-tools";
        await s3.PutBucketAsync(bucket);
        foreach (var file in Directory.EnumerateFiles(_output, "*", SearchOption.AllDirectories))
        {
            var key = "out/" + Path.GetRelativePath(_output, file).Replace(Path.DirectorySeparatorChar, '/');
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, FilePath = file });
        }

        var environment = new Dictionary<string, string>
        {
            ["Fruits__S3__ServiceUrl"] = moto.Endpoint,
            ["Fruits__S3__MaxErrorRetry"] = "1",
            ["AWS_ENDPOINT_URL_S3"] = "",
            ["AWS_ACCESS_KEY_ID"] = "testing",
            ["AWS_SECRET_ACCESS_KEY"] = "testing",
            ["AWS_REGION"] = "us-east-1",
        };
        var inspect = await RunJsonAsync(["inspect", $"s3://{bucket}/out", "--json"], environment);
        Assert.Equal(84, inspect.GetProperty("rows").GetInt32());
        Assert.Equal(14, inspect.GetProperty("labels").EnumerateObject().Count());

        var csv = _temp.Combine("from-s3.csv");
        var export = await RunJsonAsync(["export-csv", $"s3://{bucket}/out", csv, "--json"], environment);
        Assert.Equal(84, export.GetProperty("rows").GetInt32());
        Assert.Equal(85, File.ReadLines(csv).Count());
    }

    private static async Task<JsonElement> RunJsonAsync(string[] arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        await using var process = ChildProcess.Start("fruits", arguments, environment ?? new Dictionary<string, string>());
        Assert.True(await process.WaitAsync(TimeSpan.FromMinutes(2)) == 0, process.Output);
        return JsonDocument.Parse(process.StandardOutput).RootElement.Clone();
    }
}
