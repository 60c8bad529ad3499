using System.Diagnostics;
using Fruits.Pipeline.Output;
using Fruits.Pipeline.Statistics;
using Fruits.Pipeline.Storage;

namespace Fruits.Bench;

/// <summary>Stage by stage on a finished job's stored features, one thread: what the job's later phases are made of.</summary>
public static class StageBenchmarks
{
    public static async Task<object> RunAsync(string output, Action<string> print, CancellationToken cancellationToken)
    {
        var store = new LocalObjectStore(output);
        var parts = new List<string>();
        await foreach (var item in store.ListAsync(OutputLayout.FeaturesPrefix, cancellationToken))
        {
            parts.Add(item.Key);
        }

        print($"(stages) one thread, on the full job's {parts.Count} stored features parts:");
        var clock = Stopwatch.StartNew();
        foreach (var part in parts)
        {
            await ParquetParts.ReadAsync<FeatureRow>(store, part, cancellationToken);
        }

        var rowRead = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var tables = new List<FeatureTable>();
        foreach (var part in parts)
        {
            tables.Add(await FeatureParts.ReadAsync(store, part, cancellationToken));
        }

        var columnRead = clock.Elapsed.TotalSeconds;
        print($"    read all parts: row-object serializer {rowRead:F2} s, column by column (used) {columnRead:F2} s");

        var dimension = tables[0].Dimension;
        var accumulator = new ShiftedMomentAccumulator(dimension);
        var images = tables.Sum(t => t.Count);
        clock.Restart();
        foreach (var table in tables)
        {
            accumulator.Add(table.FeatureBlock, table.Count);
        }

        var statisticsMs = clock.Elapsed.TotalMilliseconds / images;
        print($"    batch statistics (rank-k update per batch): {statisticsMs:F3} ms per image");

        var statistics = accumulator.ToStatistics();
        clock.Restart();
        var model = new PcaFitter().Fit(statistics, new PcaSelection());
        var partialFit = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var covariance = PackedTriangle.ToFull(statistics.CoMoment, dimension, 1.0 / (statistics.Count - 1));
        var reference = PcaFitter.FullDecompositionVectors(covariance, dimension, model.K);
        var fullFit = clock.Elapsed.TotalSeconds;
        var worst = 0.0;
        for (var c = 0; c < model.K; c++)
        {
            var dot = 0.0;
            for (var j = c * dimension; j < (c + 1) * dimension; j++)
            {
                dot += model.Components[j] * reference[j];
            }

            worst = Math.Max(worst, 1 - Math.Abs(dot));
        }

        print($"    PCA fit: all eigenvalues + {model.K} vectors (used) {partialFit:F2} s, MathNet full decomposition {fullFit:F2} s; worst 1 - |cos| between their vectors {worst:E1}");
        return new
        {
            parts = parts.Count,
            read_row_serializer_seconds = rowRead,
            read_columnar_seconds = columnRead,
            statistics_ms_per_image = statisticsMs,
            fit_partial_seconds = partialFit,
            fit_full_decomposition_seconds = fullFit,
            k = model.K,
            worst_one_minus_cosine = worst,
        };
    }
}
