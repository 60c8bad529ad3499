using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Fruits.Models;
using Fruits.Pipeline.Featurizing;
using Fruits.Pipeline.Statistics;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Fruits.Bench;

/// <summary>
/// `fruits-bench --int8-study`: builds the float32 model and each QDQ int8 recipe, calibrates on the fixed
/// calibration images, and prints, in one run, every recipe's fidelity to float32 on a disjoint evaluation
/// set, which kernels ONNX Runtime runs for it (from its profile), and ceiling images/s measured in
/// interleaved rounds against float32 in the same layout.
/// </summary>
public static class Int8Study
{
    private const int Batch = 16;

    public static readonly IReadOnlyList<Int8Recipe> Recipes =
    [
        new("minmax"),
        new("percentile", ActivationCalibration.Percentile),
        new("mse", ActivationCalibration.Mse),
        new("minmax-int8", SignedActivations: true),
        new("eq-h1", Equalize: true, Headroom: 1f),
        new("eq", Equalize: true),
        new("eq-h4", Equalize: true, Headroom: 4f),
        new("eq-mse", ActivationCalibration.Mse, Equalize: true),
        Int8Recipe.Best,
        new("eq-mse-bc-abc", ActivationCalibration.Mse, Equalize: true, BiasCorrection: true, ActivationBiasCorrection: true),
        new("eq-mse-bc-abc-ends", ActivationCalibration.Mse, Equalize: true, BiasCorrection: true, ActivationBiasCorrection: true, FloatFirst: true, FloatLast: true),
        new("eq-minmax-bc-abc", Equalize: true, BiasCorrection: true, ActivationBiasCorrection: true),
        new("eq-mse-bc-int8", ActivationCalibration.Mse, SignedActivations: true, Equalize: true, BiasCorrection: true),
        new("eq-mse-bc-ends", ActivationCalibration.Mse, Equalize: true, BiasCorrection: true, FloatFirst: true, FloatLast: true),
        new("eq-mse-bc-dw", ActivationCalibration.Mse, Equalize: true, BiasCorrection: true, FloatDepthwise: true),
        new("eqs-mse-bc", ActivationCalibration.Mse, Equalize: true, BiasCorrection: true, EqualizeStream: true),
        new("eqs-mse-bc-ends", ActivationCalibration.Mse, Equalize: true, BiasCorrection: true, EqualizeStream: true, FloatFirst: true, FloatLast: true),
    ];

    public static async Task<int> RunAsync(string input, int images, int evaluationImages, double seconds, int rounds, string? only, CancellationToken cancellationToken)
    {
        var weightsDirectory = ModelLocations.DefaultWeightsDirectory() ?? throw new InvalidOperationException("no weights folder (../shared/models/mobilenet_v2_1.0_224)");
        var weights = await WeightSet.FromDirectoryAsync(weightsDirectory, cancellationToken);
        var files = Directory.EnumerateFiles(input, "*.jpg", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(input, f)).Order(StringComparer.Ordinal).ToList();
        var selected = Recipes.Where(r => only is null || only.Split(',').Contains(r.Name)).ToList();
        var calibrationFiles = CalibrationImages.Select(files, images);
        var evaluationFiles = CalibrationImages.Select(files, evaluationImages, evaluation: true).Except(calibrationFiles, StringComparer.Ordinal).ToList();
        var work = Directory.CreateTempSubdirectory("fruits-int8").FullName;
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, ONNX Runtime {OrtEnv.Instance().GetVersionString()}");
        Console.WriteLine($"calibration: {calibrationFiles.Count} images, every {files.Count / images}th of {files.Count:N0} in ordinal order from 0; evaluation: {evaluationFiles.Count} images, every {files.Count / evaluationImages}th from {files.Count / evaluationImages / 2}, less any calibration image");

        var calibration = Int8Calibrator.Preprocess(input, calibrationFiles);
        var evaluation = Int8Calibrator.Preprocess(input, evaluationFiles);
        var labels = evaluationFiles.Select(f => Path.GetDirectoryName(f)!).ToArray();

        var floatPath = Write(work, "float32", new MobileNetV2OnnxBuilder().Build(weights));
        var reference = Featurize(floatPath, evaluation, evaluationFiles.Count);
        Console.WriteLine($"float32 PCA on the evaluation images: {Pca(reference, evaluationFiles.Count)}");

        var clock = Stopwatch.StartNew();
        var builder = new MobileNetV2Int8Builder();
        var plainStats = Int8Calibrator.Calibrate(builder.BuildCalibrationModel(weights, null, out var points), points, calibration, calibrationFiles.Count);
        var equalized = new Dictionary<string, (Dictionary<string, float[]> Scales, Dictionary<string, TensorStats> Stats)>();
        foreach (var recipe in selected.Where(r => r.Equalizes).DistinctBy(r => r.EqualizationKey))
        {
            var scales = MobileNetV2Int8Builder.Equalization(plainStats, recipe);
            var equalizedModel = builder.BuildCalibrationModel(weights, scales, out points);
            equalized[recipe.EqualizationKey] = (scales, Int8Calibrator.Calibrate(equalizedModel, points, calibration, calibrationFiles.Count));
            var equalizedFloat = Featurize(Write(work, $"float32-equalized-{equalized.Count}", equalizedModel), evaluation, evaluationFiles.Count);
            var (eqMean, eqMin) = Cosines(reference, equalizedFloat, evaluationFiles.Count);
            Console.WriteLine($"float32 equalized as {recipe.Name} vs float32: mean cosine {eqMean:F6}, min {eqMin:F6} (ReLU6 channels clip past headroom x their calibrated max)");
        }

        Console.WriteLine($"calibration: {points.Count} quantization points, {clock.Elapsed.TotalSeconds:F0} s for all");
        Console.WriteLine();

        var models = new List<(string Name, string Path)> { ("float32", floatPath) };
        Console.WriteLine($"{"recipe",-20} {"mean cos",9} {"min cos",9} {"5-NN agree",10}  kernels (profile)  sha256");
        foreach (var recipe in selected)
        {
            var (scales, stats) = recipe.Equalizes ? equalized[recipe.EqualizationKey] : (null, plainStats);
            var activationBias = recipe.ActivationBiasCorrection
                ? Int8Calibrator.ActivationBias(builder.BuildCalibrationModel(weights, scales, out points), points, calibration, calibrationFiles.Count, recipe, stats)
                : null;
            var bytes = builder.Build(weights, recipe, stats, scales, activationBias);
            var path = Write(work, recipe.Name, bytes);
            models.Add((recipe.Name, path));
            var features = Featurize(path, evaluation, evaluationFiles.Count);
            var (mean, min) = Cosines(reference, features, evaluationFiles.Count);
            var agreement = NeighbourAgreement(reference, features, labels, 5);
            Console.WriteLine($"{recipe.Name,-20} {mean,9:F4} {min,9:F4} {agreement,10:P1}  {Kernels(path, work)}  {Convert.ToHexStringLower(SHA256.HashData(bytes))[..16]}");
            Console.WriteLine($"    {recipe}");
            Console.WriteLine($"    PCA on the evaluation images: {Pca(features, evaluationFiles.Count)}");
        }

        Console.WriteLine();
        foreach (var batch in rounds > 0 ? new[] { 1, Batch } : [])
        {
            var layout = new OnnxLayout(Math.Max(1, Environment.ProcessorCount), 1, batch);
            Console.WriteLine($"ceiling, {layout}, {rounds} interleaved rounds of {seconds} s per model (images/s; ratio to float32 in the same round):");
            var rates = models.ToDictionary(m => m.Name, _ => new List<double>());
            var probes = models.Select(m => (m.Name, Probe: new CeilingProbe(m.Path, layout))).ToList();
            for (var round = 0; round < rounds; round++)
            {
                foreach (var (name, probe) in round % 2 == 0 ? probes : Enumerable.Reverse(probes))
                {
                    rates[name].Add(probe.Measure(seconds));
                }
            }

            probes.ForEach(p => p.Probe.Dispose());
            var baseline = rates["float32"];
            foreach (var (name, list) in rates)
            {
                var ratios = list.Zip(baseline, (r, b) => r / b).ToList();
                Console.WriteLine($"    {name,-20} {list.Average(),7:F1} images/s (spread {list.Min():F1}-{list.Max():F1})  x{ratios.Average():F2} (spread {ratios.Min():F2}-{ratios.Max():F2})");
            }
        }

        Directory.Delete(work, recursive: true);
        return 0;
    }

    private static string Write(string work, string name, byte[] bytes)
    {
        var path = Path.Combine(work, $"{name}.onnx");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static float[] Featurize(string modelPath, float[] tensors, int count)
    {
        using var featurizer = new OnnxFeaturizer(modelPath, Environment.ProcessorCount, Batch);
        var features = new float[count * OnnxFeaturizer.FeatureLength];
        featurizer.Run(tensors, count, features);
        return features;
    }

    private static (double Mean, double Min) Cosines(float[] a, float[] b, int count)
    {
        var cosines = Enumerable.Range(0, count).Select(i =>
        {
            var x = a.AsSpan(i * OnnxFeaturizer.FeatureLength, OnnxFeaturizer.FeatureLength);
            var y = b.AsSpan(i * OnnxFeaturizer.FeatureLength, OnnxFeaturizer.FeatureLength);
            double dot = 0, xx = 0, yy = 0;
            for (var j = 0; j < x.Length; j++)
            {
                dot += x[j] * (double)y[j];
                xx += x[j] * (double)x[j];
                yy += y[j] * (double)y[j];
            }

            return dot / Math.Sqrt(xx * yy);
        }).ToList();
        return (cosines.Average(), cosines.Min());
    }

    /// <summary>The job's PCA (fewest components for 75 % of the variance) over these features: k and the leading ratios.</summary>
    private static string Pca(float[] features, int count)
    {
        var model = new PcaFitter().Fit(MomentStatistics.FromRows(features.AsSpan(0, count * OnnxFeaturizer.FeatureLength), count, OnnxFeaturizer.FeatureLength), new PcaSelection());
        var leading = string.Join(", ", model.ExplainedVarianceRatio.Take(5).Select(r => r.ToString("F4", System.Globalization.CultureInfo.InvariantCulture)));
        return $"k = {model.K} ({model.VarianceKept:P2}), leading explained variance ratios {leading}";
    }

    /// <summary>Share of images whose k-NN majority label (leave-one-out, Euclidean) is the same with both feature sets.</summary>
    private static double NeighbourAgreement(float[] a, float[] b, string[] labels, int k)
    {
        var count = labels.Length;
        string Predict(float[] features, int i)
        {
            var nearest = Enumerable.Range(0, count).Where(j => j != i).Select(j =>
            {
                var x = features.AsSpan(i * OnnxFeaturizer.FeatureLength, OnnxFeaturizer.FeatureLength);
                var y = features.AsSpan(j * OnnxFeaturizer.FeatureLength, OnnxFeaturizer.FeatureLength);
                double d = 0;
                for (var c = 0; c < x.Length; c++)
                {
                    d += (x[c] - y[c]) * (double)(x[c] - y[c]);
                }

                return (j, d);
            }).OrderBy(p => p.d).ThenBy(p => p.j).Take(k).ToList();
            return nearest.GroupBy(p => labels[p.j]).OrderByDescending(g => g.Count()).ThenBy(g => g.Min(p => p.d)).First().Key;
        }

        return Enumerable.Range(0, count).Count(i => Predict(a, i) == Predict(b, i)) / (double)count;
    }

    /// <summary>Node counts by kernel from an ONNX Runtime profile of a few runs: fused QDQ groups show as QLinearConv.</summary>
    private static string Kernels(string modelPath, string work)
    {
        string profile;
        using (var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, IntraOpNumThreads = 1 })
        {
            // The prefix is read when profiling is switched on, so it goes first.
            options.ProfileOutputPathPrefix = Path.Combine(work, Path.GetFileNameWithoutExtension(modelPath));
            options.EnableProfiling = true;
            using var session = new InferenceSession(modelPath, options);
            var input = new DenseTensor<float>([1, 3, 224, 224]);
            using (session.Run([NamedOnnxValue.CreateFromTensor("input", input)]))
            {
            }

            profile = session.EndProfiling();
        }

        using var json = JsonDocument.Parse(File.ReadAllText(Path.IsPathRooted(profile) ? profile : Path.Combine(Environment.CurrentDirectory, profile)));
        var nodes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var e in json.RootElement.EnumerateArray())
        {
            if (e.GetProperty("cat").GetString() == "Node" && e.TryGetProperty("args", out var args) && args.TryGetProperty("op_name", out var op))
            {
                nodes[e.GetProperty("name").GetString()!.Replace("_kernel_time", "").Replace("_fence_before", "").Replace("_fence_after", "")] = op.GetString()!;
            }
        }

        return string.Join(" ", nodes.Values.GroupBy(o => o).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key}={g.Count()}"));
    }
}
