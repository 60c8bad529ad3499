using Fruits.Grains;
using Fruits.Grains.Interfaces;
using Fruits.Pipeline.Output;
using Fruits.Pipeline.Statistics;
using Fruits.Pipeline.Storage;
using Fruits.UnitTests.Statistics;
using Microsoft.Extensions.Options;

namespace Fruits.UnitTests.Output;

/// <summary>The projector cache is keyed by the stored model's version, and does not remember failures.</summary>
public sealed class PcaModelCacheTests : IDisposable
{
    private readonly TempDirectory _directory = new("fruits-pca-cache");
    private readonly ObjectStoreFactory _stores = new(Options.Create(new S3StorageOptions()));

    [Fact]
    public async Task A_model_rewritten_in_place_is_read_again_whatever_the_job()
    {
        var cache = new PcaModelCache(_stores);
        var output = StorageLocation.Parse(_directory.Path);
        await WriteModelAsync(seed: 1, k: 2);

        var first = await cache.GetProjectorAsync("job-1", output);
        Assert.Same(first, await cache.GetProjectorAsync("job-2", output));
        Assert.Equal(2, first.Model.K);

        await WriteModelAsync(seed: 2, k: 3);
        File.SetLastWriteTimeUtc(_directory.Combine(OutputLayout.PcaModel), DateTime.UtcNow.AddSeconds(5));
        var second = await cache.GetProjectorAsync("job-1", output);
        Assert.NotSame(first, second);
        Assert.Equal(3, second.Model.K);
    }

    [Fact]
    public async Task A_failed_load_is_not_cached()
    {
        var cache = new PcaModelCache(_stores);
        var output = StorageLocation.Parse(_directory.Path);

        await Assert.ThrowsAsync<StorageException>(() => cache.GetProjectorAsync(output));
        await File.WriteAllTextAsync(_directory.Combine(OutputLayout.PcaModel), "{ not a model");
        await Assert.ThrowsAnyAsync<Exception>(() => cache.GetProjectorAsync(output));
        Assert.Equal(0, cache.Count);

        // The same version that failed to load (same size and time) loads once the file is good.
        await WriteModelAsync(seed: 3, k: 2);
        Assert.Equal(2, (await cache.GetProjectorAsync(output)).Model.K);
        Assert.Equal(1, cache.Count);
    }

    public void Dispose()
    {
        _stores.Dispose();
        _directory.Dispose();
    }

    private async Task WriteModelAsync(int seed, int k)
    {
        const int count = 60, dimension = 12;
        var rows = StatisticsTestData.LowRankRows(seed, count, dimension, 5, 0.5);
        var model = new PcaFitter().Fit(MomentStatistics.FromRows(rows, count, dimension), new PcaSelection(0.5, k));
        await new LocalObjectStore(_directory.Path).WriteAsync(OutputLayout.PcaModel, PcaModelJson.Serialize(model));
    }
}
