using Fruits.Models;
using Fruits.Pipeline.Imaging;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Fruits.Pipeline.Featurizing;

/// <summary>
/// Runs a calibration model (<see cref="MobileNetV2Int8Builder.BuildCalibrationModel"/>) over preprocessed
/// images and gathers each quantization point's <see cref="TensorStats"/>: ranges and channel statistics in
/// a first pass, histograms over those ranges in a second.
/// </summary>
public static class Int8Calibrator
{
    private const int Batch = 16;

    /// <summary>The images under <paramref name="root"/> (relative paths), preprocessed exactly as a job does, NCHW one after another.</summary>
    public static float[] Preprocess(string root, IReadOnlyList<string> files)
    {
        var tensors = new float[files.Count * ImagePreprocessor.TensorLength];
        Parallel.For(0, files.Count, () => new ImagePreprocessor(ImageLimits.Default), (i, _, preprocessor) =>
        {
            preprocessor.Preprocess(File.ReadAllBytes(Path.Combine(root, files[i])), tensors.AsSpan(i * ImagePreprocessor.TensorLength, ImagePreprocessor.TensorLength));
            return preprocessor;
        }, _ => { });
        return tensors;
    }

    /// <summary>The whole recipe: calibrate the float graph, equalize if asked and calibrate again, correct biases if asked, quantize.</summary>
    public static byte[] BuildQuantized(WeightSet weights, Int8Recipe recipe, float[] tensors, int count)
    {
        var builder = new MobileNetV2Int8Builder();
        IReadOnlyDictionary<string, TensorStats> stats = Calibrate(builder.BuildCalibrationModel(weights, null, out var points), points, tensors, count);
        Dictionary<string, float[]>? scales = null;
        if (recipe.Equalizes)
        {
            scales = MobileNetV2Int8Builder.Equalization(stats, recipe);
            stats = Calibrate(builder.BuildCalibrationModel(weights, scales, out points), points, tensors, count);
        }

        return builder.Build(weights, recipe, stats, scales, EmpiricalBiasShift(weights, recipe, stats, scales, tensors, count));
    }

    /// <summary>
    /// The bias shifts of <see cref="Int8Recipe.EmpiricalBiasIterations"/> rounds: each round measures every
    /// convolution's per-channel output mean in the float and the current quantized model and adds the gap.
    /// All layers move at once, so a round also absorbs what upstream shifts changed; a few rounds settle.
    /// </summary>
    public static Dictionary<string, float[]>? EmpiricalBiasShift(
        WeightSet weights, Int8Recipe recipe, IReadOnlyDictionary<string, TensorStats> stats, IReadOnlyDictionary<string, float[]>? scales, float[] tensors, int count)
    {
        if (recipe.EmpiricalBiasIterations == 0)
        {
            return null;
        }

        var builder = new MobileNetV2Int8Builder();
        var target = ChannelMeans(builder.BuildExposingConvolutions(weights, null, null, scales, null, out var scopes), scopes, tensors, count);
        var shift = scopes.ToDictionary(s => s, s => new float[target[s].Length], StringComparer.Ordinal);
        for (var round = 0; round < recipe.EmpiricalBiasIterations; round++)
        {
            var actual = ChannelMeans(builder.BuildExposingConvolutions(weights, recipe, stats, scales, shift, out _), scopes, tensors, count);
            foreach (var scope in scopes)
            {
                for (var c = 0; c < shift[scope].Length; c++)
                {
                    shift[scope][c] += (float)(target[scope][c] - actual[scope][c]);
                }
            }
        }

        return shift;
    }

    /// <summary>Per-channel means of a model's extra outputs (named by <paramref name="names"/> in output order) over the images.</summary>
    public static Dictionary<string, double[]> ChannelMeans(byte[] model, IReadOnlyList<string> names, float[] tensors, int count)
    {
        using var options = new SessionOptions { IntraOpNumThreads = Environment.ProcessorCount, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        using var session = new InferenceSession(model, options);
        var outputNames = session.OutputMetadata.Keys.Where(k => k != "features").ToList();
        var means = new Dictionary<string, double[]>(StringComparer.Ordinal);
        for (var first = 0; first < count; first += Batch)
        {
            var n = Math.Min(Batch, count - first);
            var batch = new DenseTensor<float>(tensors.AsMemory(first * ImagePreprocessor.TensorLength, n * ImagePreprocessor.TensorLength), [n, 3, 224, 224]);
            using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", batch)], outputNames);
            foreach (var result in results)
            {
                var name = names[outputNames.IndexOf(result.Name)];
                var tensor = (DenseTensor<float>)result.AsTensor<float>();
                var channels = tensor.Dimensions[1];
                var plane = (int)(tensor.Length / (n * channels));
                if (!means.TryGetValue(name, out var sums))
                {
                    means[name] = sums = new double[channels];
                }

                var values = tensor.Buffer.Span;
                for (var image = 0; image < n; image++)
                {
                    for (var c = 0; c < channels; c++)
                    {
                        double sum = 0;
                        foreach (var v in values.Slice(((image * channels) + c) * plane, plane))
                        {
                            sum += v;
                        }

                        sums[c] += sum / plane / count;
                    }
                }
            }
        }

        return means;
    }

    public static Dictionary<string, TensorStats> Calibrate(byte[] calibrationModel, IReadOnlyList<string> points, float[] tensors, int count)
    {
        using var options = new SessionOptions { IntraOpNumThreads = Environment.ProcessorCount, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        using var session = new InferenceSession(calibrationModel, options);
        var outputNames = session.OutputMetadata.Keys.Where(k => k != "features").ToList();
        if (outputNames.Count != points.Count)
        {
            throw new ArgumentException($"the calibration model has {outputNames.Count} extra outputs for {points.Count} points");
        }

        var stats = new Dictionary<string, TensorStats>(StringComparer.Ordinal);
        for (var pass = 0; pass < 2; pass++)
        {
            for (var first = 0; first < count; first += Batch)
            {
                var n = Math.Min(Batch, count - first);
                var batch = new DenseTensor<float>(tensors.AsMemory(first * ImagePreprocessor.TensorLength, n * ImagePreprocessor.TensorLength), [n, 3, 224, 224]);
                using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", batch)], outputNames);
                foreach (var result in results)
                {
                    var point = points[outputNames.IndexOf(result.Name)];
                    var tensor = (DenseTensor<float>)result.AsTensor<float>();
                    if (pass == 0)
                    {
                        if (!stats.TryGetValue(point, out var s))
                        {
                            stats[point] = s = new TensorStats(tensor.Dimensions[1]);
                        }

                        s.Observe(tensor.Buffer.Span, n);
                    }
                    else
                    {
                        stats[point].ObserveHistogram(tensor.Buffer.Span);
                    }
                }
            }
        }

        return stats;
    }
}
