using Fruits.Models;
using Fruits.Pipeline.Featurizing;
using Fruits.Pipeline.Imaging;

namespace Fruits.IntegrationTests.Fidelity;

/// <summary>Our ONNX graph must give the seed's features: checked against an independent float64 forward pass.</summary>
public sealed class OnnxFidelityTests
{
    [Fact]
    public async Task Onnx_features_match_a_float64_reference_on_real_images()
    {
        var weights = await WeightSet.FromDirectoryAsync(TestPaths.WeightsDirectory);
        var model = await TestModel.EnsureAsync();
        var reference = new ReferenceMobileNetV2(weights);
        using var onnx = new OnnxFeaturizer(model.Path);
        var preprocessor = new ImagePreprocessor(ImageLimits.Default);

        // One image from each of 10 label folders spread over the split.
        var folders = Directory.GetDirectories(TestPaths.TestImagesRoot).Order(StringComparer.Ordinal).ToList();
        var images = Enumerable.Range(0, 10)
            .Select(i => Directory.GetFiles(folders[i * folders.Count / 10], "*.jpg").Order(StringComparer.Ordinal).First())
            .ToList();

        var tensors = images.Select(image =>
        {
            var tensor = new float[ImagePreprocessor.TensorLength];
            preprocessor.Preprocess(File.ReadAllBytes(image), tensor);
            return tensor;
        }).ToList();

        // The float64 pass is the slow part and each image's is independent: one per core.
        var references = new double[images.Count][];
        Parallel.For(0, images.Count, i => references[i] = reference.Features(tensors[i]));

        var features = new float[OnnxFeaturizer.FeatureLength];
        var report = new List<string>();
        for (var n = 0; n < images.Count; n++)
        {
            var image = images[n];
            onnx.Run(tensors[n], 1, features);
            var expected = references[n];

            var dot = 0.0;
            var normA = 0.0;
            var normB = 0.0;
            var maxDiff = 0.0;
            for (var i = 0; i < expected.Length; i++)
            {
                dot += expected[i] * features[i];
                normA += expected[i] * expected[i];
                normB += (double)features[i] * features[i];
                maxDiff = Math.Max(maxDiff, Math.Abs(expected[i] - features[i]));
            }

            var cosine = dot / Math.Sqrt(normA * normB);
            report.Add($"{Path.GetFileName(Path.GetDirectoryName(image))}/{Path.GetFileName(image)}: cosine {cosine:F8}, max |diff| {maxDiff:E2}");
            Assert.True(normA > 0, "reference features are all zero");
            Assert.All(features, f => Assert.True(f >= 0 && f <= 6, "GAP of ReLU6 must lie in [0, 6]"));
            Assert.True(cosine >= 0.9999, string.Join("\n", report));
        }
    }

    [Fact]
    public async Task Batched_inference_equals_one_image_at_a_time()
    {
        var model = await TestModel.EnsureAsync();
        using var onnx = new OnnxFeaturizer(model.Path, maxBatch: 4);
        var preprocessor = new ImagePreprocessor(ImageLimits.Default);
        var files = Directory.GetFiles(Directory.GetDirectories(TestPaths.TestImagesRoot).Order(StringComparer.Ordinal).First(), "*.jpg")
            .Order(StringComparer.Ordinal).Take(4).ToList();
        var batch = new float[files.Count * ImagePreprocessor.TensorLength];
        for (var i = 0; i < files.Count; i++)
        {
            preprocessor.Preprocess(File.ReadAllBytes(files[i]), batch.AsSpan(i * ImagePreprocessor.TensorLength, ImagePreprocessor.TensorLength));
        }

        var together = new float[files.Count * OnnxFeaturizer.FeatureLength];
        onnx.Run(batch, files.Count, together);
        var single = new float[OnnxFeaturizer.FeatureLength];
        for (var i = 0; i < files.Count; i++)
        {
            onnx.Run(batch.AsSpan(i * ImagePreprocessor.TensorLength, ImagePreprocessor.TensorLength), 1, single);
            for (var j = 0; j < single.Length; j++)
            {
                Assert.Equal(single[j], together[(i * OnnxFeaturizer.FeatureLength) + j], 4);
            }
        }
    }
}
