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

    /// <summary>The whole recipe: calibrate the float graph, equalize if asked and calibrate again, quantize.</summary>
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

        var activationBias = recipe.ActivationBiasCorrection
            ? ActivationBias(builder.BuildCalibrationModel(weights, scales, out points), points, tensors, count, recipe, stats)
            : null;
        return builder.Build(weights, recipe, stats, scales, activationBias);
    }

    /// <summary>Per point, the per-channel mean of (quantized - float) value under the recipe, over the images.</summary>
    public static Dictionary<string, float[]> ActivationBias(
        byte[] calibrationModel, IReadOnlyList<string> points, float[] tensors, int count, Int8Recipe recipe, IReadOnlyDictionary<string, TensorStats> stats)
    {
        using var options = new SessionOptions { IntraOpNumThreads = Environment.ProcessorCount, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        using var session = new InferenceSession(calibrationModel, options);
        var outputNames = session.OutputMetadata.Keys.Where(k => k != "features").ToList();
        var sums = new Dictionary<string, double[]>(StringComparer.Ordinal);
        var (qmin, qmax) = recipe.SignedActivations ? (-128, 127) : (0, 255);
        for (var first = 0; first < count; first += Batch)
        {
            var n = Math.Min(Batch, count - first);
            var batch = new DenseTensor<float>(tensors.AsMemory(first * ImagePreprocessor.TensorLength, n * ImagePreprocessor.TensorLength), [n, 3, 224, 224]);
            using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", batch)], outputNames);
            foreach (var result in results)
            {
                var point = points[outputNames.IndexOf(result.Name)];
                var (scale, zeroPoint) = MobileNetV2Int8Builder.ActivationParameters(stats[point], recipe);
                var tensor = (DenseTensor<float>)result.AsTensor<float>();
                var channels = tensor.Dimensions[1];
                var plane = (int)(tensor.Length / (n * channels));
                if (!sums.TryGetValue(point, out var channelSums))
                {
                    sums[point] = channelSums = new double[channels];
                }

                var values = tensor.Buffer.Span;
                for (var image = 0; image < n; image++)
                {
                    for (var c = 0; c < channels; c++)
                    {
                        double error = 0;
                        foreach (var v in values.Slice(((image * channels) + c) * plane, plane))
                        {
                            var level = Math.Clamp(Math.Round(v / scale) + zeroPoint, qmin, qmax);
                            error += ((level - zeroPoint) * scale) - v;
                        }

                        channelSums[c] += error / plane;
                    }
                }
            }
        }

        return sums.ToDictionary(p => p.Key, p => p.Value.Select(s => (float)(s / count)).ToArray(), StringComparer.Ordinal);
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
