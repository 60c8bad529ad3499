using System.Diagnostics;
using Fruits.Pipeline.Featurizing;
using Microsoft.ML.OnnxRuntime;

namespace Fruits.Bench;

/// <summary>Sessions of one layout, built and warmed once, that measure bare inference on demand.</summary>
public sealed class CeilingProbe : IDisposable
{
    private readonly List<OnnxFeaturizer> _featurizers;
    private readonly int _batch;

    public CeilingProbe(string modelPath, OnnxLayout layout, GraphOptimizationLevel optimization = GraphOptimizationLevel.ORT_ENABLE_ALL, bool prepackWeights = true)
    {
        _batch = layout.Batch;
        _featurizers = Enumerable.Range(0, layout.Sessions)
            .Select(_ => new OnnxFeaturizer(modelPath, layout.Threads, layout.Batch, optimization, prepackWeights)).ToList();
        foreach (var featurizer in _featurizers)
        {
            for (var i = 0; i < _batch; i++)
            {
                var slot = featurizer.InputSlot(i);
                for (var j = 0; j < slot.Length; j++)
                {
                    slot[j] = (j % 255) / 127.5f - 1f;
                }
            }

            featurizer.Run(_batch); // warm-up
        }
    }

    public double Measure(double seconds)
    {
        var counts = new int[_featurizers.Count];
        var clock = Stopwatch.StartNew();
        Parallel.For(0, _featurizers.Count, new ParallelOptions { MaxDegreeOfParallelism = _featurizers.Count }, s =>
        {
            while (clock.Elapsed.TotalSeconds < seconds)
            {
                _featurizers[s].Run(_batch);
                counts[s] += _batch;
            }
        });
        return counts.Sum() / clock.Elapsed.TotalSeconds;
    }

    public void Dispose() => _featurizers.ForEach(f => f.Dispose());
}
