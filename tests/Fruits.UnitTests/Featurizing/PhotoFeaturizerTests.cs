using Fruits.Grains;
using Fruits.Pipeline.Featurizing;
using Fruits.Pipeline.Imaging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fruits.UnitTests.Featurizing;

public sealed class PhotoFeaturizerTests
{
    [Fact]
    public async Task Photos_queued_at_once_get_a_jobs_features_and_a_broken_one_fails_alone()
    {
        using var silo = await SiloSessions.CreateAsync(slots: 2);
        using var photos = new PhotoFeaturizer(silo.Model, silo.Pool, silo.Options, NullLogger<PhotoFeaturizer>.Instance);
        var files = Directory.EnumerateFiles(TestPaths.TestImagesRoot, "*.jpg", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Take(6).ToList();
        var bytes = await Task.WhenAll(files.Select(f => File.ReadAllBytesAsync(f)));

        // More photos than lanes, and a truncated JPEG among them: every request is queued before any is answered.
        var broken = bytes[0][..(bytes[0].Length / 3)];
        var featurized = bytes.Select(photos.FeaturizeAsync).ToList();
        var refused = photos.FeaturizeAsync(broken);
        var answers = await Task.WhenAll(featurized);
        var error = await Assert.ThrowsAsync<ImageDecodeException>(() => refused);
        Assert.DoesNotContain('\n', error.Message);

        // Each answer is what a session of the job's own featurizer makes of the same preprocessed tensor.
        using var reference = new OnnxFeaturizer(silo.ModelPath);
        var preprocessor = new ImagePreprocessor(ImageLimits.Default);
        for (var i = 0; i < bytes.Length; i++)
        {
            preprocessor.Preprocess(bytes[i], reference.InputSlot(0));
            reference.Run(1);
            Assert.Equal(reference.Features(0).ToArray(), answers[i]);
        }

        // The lanes rent a session around each run and give it back: none is lost, and no more than a lane each were built.
        Assert.InRange(silo.Pool.Idle, 1, 2);
    }

    [Fact]
    public async Task A_disposed_featurizer_refuses_new_photos()
    {
        using var silo = await SiloSessions.CreateAsync(slots: 1);
        var photos = new PhotoFeaturizer(silo.Model, silo.Pool, silo.Options, NullLogger<PhotoFeaturizer>.Instance);
        photos.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => photos.FeaturizeAsync([1, 2, 3]));
    }
}
