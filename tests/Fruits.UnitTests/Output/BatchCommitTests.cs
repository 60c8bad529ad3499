using Fruits.Pipeline.Output;
using Fruits.Pipeline.Storage;

namespace Fruits.UnitTests.Output;

/// <summary>A features part is its batch's commit record: trusted only when its footer reads and adds up.</summary>
public sealed class BatchCommitTests : IDisposable
{
    private const int Dimension = 1280;
    private readonly TempDirectory _directory = new("fruits-commit");
    private readonly LocalObjectStore _store;

    public BatchCommitTests() => _store = new LocalObjectStore(_directory.Path);

    [Fact]
    public async Task A_good_part_gives_back_the_exact_commit_from_its_footer()
    {
        var commit = new BatchCommit(Listed: 7, Succeeded: 5, Failed: 2);
        await FeatureParts.WriteAsync(_store, "features.parquet", Table(5), commit);

        Assert.Equal(commit, await FeatureParts.TryReadCommitAsync(_store, "features.parquet"));
        var (table, read) = await FeatureParts.ReadWithCommitAsync(_store, "features.parquet");
        Assert.Equal(5, table.Count);
        Assert.Equal(commit, read);
    }

    [Fact]
    public async Task An_empty_batch_commits_all_its_images_as_failed()
    {
        var commit = new BatchCommit(3, 0, 3);
        await FeatureParts.WriteAsync(_store, "empty.parquet", new FeatureTable([], [], [], Dimension), commit);
        Assert.Equal(commit, await FeatureParts.TryReadCommitAsync(_store, "empty.parquet"));
    }

    [Fact]
    public async Task Missing_zero_length_and_truncated_parts_have_no_commit()
    {
        await FeatureParts.WriteAsync(_store, "good.parquet", Table(4), new BatchCommit(4, 4, 0));
        var bytes = await File.ReadAllBytesAsync(_directory.Combine("good.parquet"));
        await File.WriteAllBytesAsync(_directory.Combine("zero.parquet"), []);
        await File.WriteAllBytesAsync(_directory.Combine("half.parquet"), bytes[..(bytes.Length / 2)]);
        await File.WriteAllBytesAsync(_directory.Combine("short-tail.parquet"), bytes[..^1]);
        await File.WriteAllBytesAsync(_directory.Combine("tiny.parquet"), bytes[..6]);
        var torn = bytes.ToArray();
        Array.Clear(torn, torn.Length - 200, 150); // the footer's body, the magic left intact
        await File.WriteAllBytesAsync(_directory.Combine("torn-footer.parquet"), torn);

        Assert.Null(await FeatureParts.TryReadCommitAsync(_store, "missing.parquet"));
        Assert.Null(await FeatureParts.TryReadCommitAsync(_store, "zero.parquet"));
        Assert.Null(await FeatureParts.TryReadCommitAsync(_store, "half.parquet"));
        Assert.Null(await FeatureParts.TryReadCommitAsync(_store, "short-tail.parquet"));
        Assert.Null(await FeatureParts.TryReadCommitAsync(_store, "tiny.parquet"));
        Assert.Null(await FeatureParts.TryReadCommitAsync(_store, "torn-footer.parquet"));
        Assert.NotNull(await FeatureParts.TryReadCommitAsync(_store, "good.parquet"));
    }

    [Fact]
    public async Task A_part_without_a_commit_or_with_one_that_does_not_add_up_is_not_trusted()
    {
        await FeatureParts.WriteAsync(_store, "plain.parquet", Table(3));
        Assert.Null(await FeatureParts.TryReadCommitAsync(_store, "plain.parquet"));
        Assert.Null((await FeatureParts.ReadWithCommitAsync(_store, "plain.parquet")).Commit);

        Assert.Null(BatchCommit.FromMetadata(new BatchCommit(5, 3, 2).ToMetadata(), rows: 4));
        Assert.Null(BatchCommit.FromMetadata(new Dictionary<string, string>
        {
            [BatchCommit.ListedKey] = "5", [BatchCommit.SucceededKey] = "3", [BatchCommit.FailedKey] = "1",
        }, rows: 3));
        Assert.Null(BatchCommit.FromMetadata(new Dictionary<string, string> { [BatchCommit.ListedKey] = "-1" }, rows: 0));
        await Assert.ThrowsAsync<ArgumentException>(() => FeatureParts.WriteAsync(_store, "bad.parquet", Table(3), new BatchCommit(4, 4, 0)));
    }

    [Fact]
    public async Task The_errors_part_row_count_reads_from_its_footer()
    {
        var errors = Enumerable.Range(0, 6).Select(i => new ErrorRow { Path = $"/in/{i}.jpg", Reason = "truncated image data" }).ToList();
        await ParquetParts.WriteAsync(_store, "errors.parquet", errors);
        var bytes = await File.ReadAllBytesAsync(_directory.Combine("errors.parquet"));
        await File.WriteAllBytesAsync(_directory.Combine("truncated.parquet"), bytes[..^8]);

        Assert.Equal(6, await ParquetParts.TryReadRowCountAsync(_store, "errors.parquet"));
        Assert.Null(await ParquetParts.TryReadRowCountAsync(_store, "truncated.parquet"));
        Assert.Null(await ParquetParts.TryReadRowCountAsync(_store, "missing.parquet"));
    }

    [Fact]
    public async Task A_footer_larger_than_the_first_tail_read_is_read_whole()
    {
        // String statistics put the long reason into the footer twice (min and max), past the first 16 KB read.
        var errors = new List<ErrorRow> { new() { Path = "/in/a.jpg", Reason = new string('r', 40_000) } };
        await ParquetParts.WriteAsync(_store, "errors.parquet", errors);
        var bytes = await File.ReadAllBytesAsync(_directory.Combine("errors.parquet"));
        Assert.True(BitConverter.ToInt32(bytes, bytes.Length - 8) > 16 * 1024, "the footer is small; this test no longer covers the second read");

        Assert.Equal(1, await ParquetParts.TryReadRowCountAsync(_store, "errors.parquet"));
    }

    [Fact]
    public async Task A_verified_commit_needs_an_errors_part_that_agrees()
    {
        var errors = Enumerable.Range(0, 2).Select(i => new ErrorRow { Path = $"/in/{i}.jpg", Reason = "corrupt image data" }).ToList();

        // Batch 0: two failures, both recorded. Batch 1: the errors part lost a row. Batch 2: no failures but a
        // stale errors part. Batch 3: failures without an errors part. Batch 4: clean.
        await ParquetParts.WriteAsync(_store, OutputLayout.ErrorsPart(0), errors);
        await FeatureParts.WriteAsync(_store, OutputLayout.FeaturesPart(0), Table(3), new BatchCommit(5, 3, 2));
        await ParquetParts.WriteAsync(_store, OutputLayout.ErrorsPart(1), errors[..1]);
        await FeatureParts.WriteAsync(_store, OutputLayout.FeaturesPart(1), Table(3), new BatchCommit(5, 3, 2));
        await ParquetParts.WriteAsync(_store, OutputLayout.ErrorsPart(2), errors);
        await FeatureParts.WriteAsync(_store, OutputLayout.FeaturesPart(2), Table(3), new BatchCommit(3, 3, 0));
        await FeatureParts.WriteAsync(_store, OutputLayout.FeaturesPart(3), Table(3), new BatchCommit(5, 3, 2));
        await FeatureParts.WriteAsync(_store, OutputLayout.FeaturesPart(4), Table(3), new BatchCommit(3, 3, 0));

        Assert.Equal(new BatchCommit(5, 3, 2), await FeatureParts.TryReadVerifiedCommitAsync(_store, 0));
        Assert.Null(await FeatureParts.TryReadVerifiedCommitAsync(_store, 1));
        Assert.Null(await FeatureParts.TryReadVerifiedCommitAsync(_store, 2));
        Assert.Null(await FeatureParts.TryReadVerifiedCommitAsync(_store, 3));
        Assert.Equal(new BatchCommit(3, 3, 0), await FeatureParts.TryReadVerifiedCommitAsync(_store, 4));
        Assert.Null(await FeatureParts.TryReadVerifiedCommitAsync(_store, 5));
    }

    public void Dispose() => _directory.Dispose();

    private static FeatureTable Table(int rows)
    {
        var features = Enumerable.Range(0, rows * Dimension).Select(i => (float)(i % 97) / 7f).ToArray();
        var paths = Enumerable.Range(0, rows).Select(i => $"Apple/img_{i:D3}.jpg").ToList();
        return new FeatureTable(paths, paths.Select(_ => "Apple").ToList(), features, Dimension);
    }
}
