using Fruits.Pipeline.Output;

namespace Fruits.Testing;

/// <summary>Tables of random features as a featurizer hands them over: floats in [0, 6) (ReLU6), each row labelled by its folder.</summary>
public static class SyntheticFeatures
{
    /// <param name="zeros">The share of exact zeros, which pooled ReLU6 outputs hold and Snappy compresses.</param>
    public static FeatureTable Table(int rows, int seed, int dimension, double zeros = 0)
    {
        var random = new Random(seed);
        var features = new float[rows * dimension];
        for (var i = 0; i < features.Length; i++)
        {
            features[i] = random.NextDouble() < zeros ? 0f : (float)random.NextDouble() * 6f;
        }

        var paths = Enumerable.Range(0, rows).Select(i => $"Apple {seed}/img_{i:D4}.jpg").ToList();
        return new FeatureTable(paths, paths.Select(p => p.Split('/')[0]).ToList(), features, dimension);
    }
}
