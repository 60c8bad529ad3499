using Fruits.Pipeline.Featurizing;
using Fruits.Pipeline.Imaging;

namespace Fruits.UnitTests.Featurizing;

public sealed class FeaturizerSessionPoolTests
{
    [Fact]
    public async Task Warm_sessions_are_handed_out_once_each_and_featurize_like_a_fresh_session()
    {
        using var silo = await SiloSessions.CreateAsync(slots: 2);
        var pool = silo.Pool;

        await pool.WarmAsync(CancellationToken.None);
        Assert.Equal(2, pool.Idle);

        var first = await pool.RentAsync();
        var second = await pool.RentAsync();
        Assert.NotSame(first, second);
        Assert.Equal(0, pool.Idle);
        var third = await pool.RentAsync(); // none idle: built on demand

        var image = Directory.EnumerateFiles(TestPaths.TestImagesRoot, "*.jpg", SearchOption.AllDirectories).Order(StringComparer.Ordinal).First();
        new ImagePreprocessor(ImageLimits.Default).Preprocess(await File.ReadAllBytesAsync(image), first.InputSlot(0));
        first.Run(1);
        using var fresh = new OnnxFeaturizer(silo.ModelPath);
        var expected = new float[OnnxFeaturizer.FeatureLength];
        fresh.Run(first.InputSlot(0), 1, expected);
        Assert.Equal(expected, first.Features(0).ToArray());

        // One idle session per featurizer slot is kept; a returned session beyond that is released.
        pool.Return(first);
        pool.Return(second);
        pool.Return(third);
        Assert.Equal(2, pool.Idle);
        var again = await pool.RentAsync();
        Assert.True(ReferenceEquals(again, first) || ReferenceEquals(again, second), "the pool kept the session it should have released");
        pool.Return(again);
    }
}
