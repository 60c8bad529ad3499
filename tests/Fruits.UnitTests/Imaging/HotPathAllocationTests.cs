using Fruits.Pipeline.Featurizing;
using Fruits.Pipeline.Imaging;
using Fruits.UnitTests.Fidelity;

namespace Fruits.UnitTests.Imaging;

/// <summary>
/// Decode, resize, scale and inference reuse their buffers: once warm, featurizing an image allocates
/// nothing on the managed heap. Counted with the runtime's per-thread allocation counter, not timed.
/// </summary>
public sealed class HotPathAllocationTests
{
    [Fact]
    public async Task Preprocessing_and_inference_allocate_nothing_per_image()
    {
        var model = await TestModel.EnsureAsync();
        using var onnx = new OnnxFeaturizer(model.Path, maxBatch: 2);
        var preprocessor = new ImagePreprocessor(ImageLimits.Default);
        var images = Directory.GetDirectories(TestPaths.TestImagesRoot).Order(StringComparer.Ordinal).Take(3)
            .SelectMany(d => Directory.GetFiles(d, "*.jpg").Order(StringComparer.Ordinal).Take(4))
            .Select(File.ReadAllBytes)
            .ToList();
        var sink = new float[OnnxFeaturizer.FeatureLength];

        void FeaturizeAll()
        {
            for (var i = 0; i < images.Count; i += 2)
            {
                preprocessor.Preprocess(images[i], onnx.InputSlot(0));
                preprocessor.Preprocess(images[i + 1], onnx.InputSlot(1));
                onnx.Run(2);
                onnx.Features(1).CopyTo(sink);
            }
        }

        FeaturizeAll(); // sizes the reusable buffers and binds the batch shape
        var before = GC.GetAllocatedBytesForCurrentThread();
        FeaturizeAll();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Contains(sink, f => f > 0);
    }

    [Fact]
    public void A_broken_image_still_leaves_the_decoder_usable()
    {
        var preprocessor = new ImagePreprocessor(ImageLimits.Default);
        var tensor = new float[ImagePreprocessor.TensorLength];
        var good = File.ReadAllBytes(Directory.GetFiles(Directory.GetDirectories(TestPaths.TestImagesRoot).Order(StringComparer.Ordinal).First(), "*.jpg")[0]);

        Assert.Throws<ImageDecodeException>(() => preprocessor.Preprocess(good.AsSpan(0, 200), tensor));
        Assert.Throws<ImageDecodeException>(() => preprocessor.Preprocess("not an image"u8, tensor));
        preprocessor.Preprocess(good, tensor);
        Assert.Contains(tensor, v => v != -1f);
    }
}
