using System.Collections.Concurrent;
using System.Diagnostics;
using Fruits.Grains.Interfaces;
using Fruits.Pipeline.Output;
using Fruits.Pipeline.Plots;
using Fruits.Pipeline.Statistics;
using Fruits.Pipeline.Storage;

namespace Fruits.Grains;

/// <summary>
/// A new PCA for a finished job's output from the features its final parts hold: no image is read and no model
/// runs. Two passes over the parts, each in parallel (statistics, then projection), write the new parts, model,
/// plots and summary, and _SUCCESS last. Refit in place first replaces _SUCCESS with a marker, so an interrupted
/// refit leaves an output that is not taken as finished and that a second refit may still complete.
/// </summary>
public sealed class OutputRefit(IObjectStore source, IObjectStore destination)
{
    /// <summary>Present while an output is refit in place; its parts keep their features throughout.</summary>
    public const string Marker = "_job/refit.json";

    private const int MaxScatterPoints = 20_000;
    private const int ChunkRows = 4096;

    /// <summary>Tables up to this many bytes of features stay in memory between the passes instead of being read twice.</summary>
    private const long CachedFeatureBytes = 1L << 30;

    private bool InPlace => source.Root == destination.Root;

    /// <summary>Refuses (one line, nothing written) an output that is not a finished job's, or a destination that is in use.</summary>
    public async Task<IReadOnlyList<string>> CheckAsync(CancellationToken cancellationToken = default)
    {
        var finished = await source.ExistsAsync(OutputLayout.Success, cancellationToken);
        if (!finished && !(InPlace && await source.ExistsAsync(Marker, cancellationToken)))
        {
            throw new InvalidOperationException(await source.ExistsAsync(OutputLayout.Plan, cancellationToken)
                ? $"{source.Root} holds an unfinished job (no {OutputLayout.Success}); refit needs a finished one"
                : $"{source.Root} holds no job output");
        }

        if (!InPlace)
        {
            await foreach (var _ in destination.ListAsync("", cancellationToken))
            {
                throw new InvalidOperationException($"{destination.Root} is not empty; refit writes a new output into an empty or missing folder");
            }
        }

        var parts = new List<string>();
        await foreach (var item in source.ListAsync("", cancellationToken))
        {
            if (OutputLayout.IsOutputPart(item.Key))
            {
                parts.Add(item.Key);
            }
        }

        if (parts.Count == 0)
        {
            throw new InvalidOperationException($"{source.Root} holds no {OutputLayout.OutputPartPrefix}*.parquet parts to refit");
        }

        return parts;
    }

    public async Task<JobSummary> RunAsync(PcaSelection selection, IReadOnlyList<string> parts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(selection);
        ArgumentNullException.ThrowIfNull(parts);
        var clock = Stopwatch.StartNew();
        var phases = new Dictionary<string, double>();
        var previous = await new JobOutput(source).ReadSummaryAsync(cancellationToken)
            ?? throw new InvalidOperationException($"{source.DescribeKey(OutputLayout.Summary)} does not read as a job summary");
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancellationToken };

        // statistics
        var cached = new ConcurrentDictionary<string, FeatureTable>(StringComparer.Ordinal);
        long cachedBytes = 0;
        MomentAccumulator? total = null;
        var gate = new Lock();
        await Parallel.ForEachAsync(parts, parallel, async (part, token) =>
        {
            var table = await FeatureParts.ReadAsync(source, part, token);
            if (table.Count == 0)
            {
                return;
            }

            var statistics = StatisticsOf(table);
            lock (gate)
            {
                total ??= new MomentAccumulator(table.Dimension);
                total.Add(statistics);
            }

            if (Interlocked.Add(ref cachedBytes, (long)table.Count * table.Dimension * sizeof(float)) <= CachedFeatureBytes)
            {
                cached[part] = table;
            }
        });
        phases["statistics"] = Lap(clock, phases);

        var model = new PcaFitter().Fit((total ?? throw new InvalidOperationException($"{source.Root} holds no featurized rows")).ToStatistics(), selection);
        var projector = new PcaProjector(model);
        phases["pca_fit"] = Lap(clock, phases);

        if (InPlace)
        {
            await destination.WriteAsync(Marker, "{}"u8.ToArray(), cancellationToken);
            await destination.DeleteAsync(OutputLayout.Success, cancellationToken);
        }

        // project: each part is replaced whole, keeping its rows and features
        var points = new ConcurrentBag<(string Part, ScatterPoint[] Points)>();
        await Parallel.ForEachAsync(parts, parallel, async (part, token) =>
        {
            var table = cached.TryRemove(part, out var kept) ? kept : await FeatureParts.ReadAsync(source, part, token);
            var projected = new float[table.Count * model.K];
            Parallel.For(0, Chunks(table.Count), chunk =>
            {
                var (first, rows) = Chunk(chunk, table.Count);
                projector.Project(table.FeatureBlock.Slice(first * table.Dimension, rows * table.Dimension), rows, projected.AsSpan(first * model.K, rows * model.K));
            });
            await FeatureParts.WriteProjectedAsync(destination, part, table, projected, model.K, token);
            // An even sample of each part, so the picture covers every label whatever the parts' sizes.
            var stride = Math.Max(1, table.Count / Math.Max(1, MaxScatterPoints / parts.Count));
            points.Add((part, Enumerable.Range(0, table.Count).Where(i => i % stride == 0)
                .Select(i => new ScatterPoint(projected[i * model.K], model.K > 1 ? projected[(i * model.K) + 1] : 0f, table.Labels[i]))
                .ToArray()));
        });
        phases["projection"] = Lap(clock, phases);

        // write
        var plots = new PlotRenderer();
        var scatter = points.OrderBy(p => p.Part, StringComparer.Ordinal).SelectMany(p => p.Points).Take(MaxScatterPoints).ToList();
        await destination.WriteAsync(OutputLayout.PcaModel, PcaModelJson.Serialize(model), cancellationToken);
        await destination.WriteAsync(OutputLayout.VariancePlot, plots.VarianceCurve(model), cancellationToken);
        await destination.WriteAsync(OutputLayout.ScatterPlot, plots.Scatter(scatter), cancellationToken);
        if (!InPlace && await source.ExistsAsync(OutputLayout.Errors, cancellationToken))
        {
            await using var errors = await source.OpenReadAsync(OutputLayout.Errors, cancellationToken);
            using var copy = new MemoryStream();
            await errors.CopyToAsync(copy, cancellationToken);
            await destination.WriteAsync(OutputLayout.Errors, copy.GetBuffer().AsMemory(0, (int)copy.Length), cancellationToken);
        }

        phases["write"] = Lap(clock, phases);
        var finished = DateTime.UtcNow;
        var summary = previous with
        {
            Output = destination.Root,
            K = model.K,
            VarianceKept = model.ExplainedVarianceRatio.Take(model.K).Sum(),
            Threshold = selection.FixedK is null ? selection.Threshold : null,
            PhaseSeconds = phases,
            TotalSeconds = clock.Elapsed.TotalSeconds,
            ImagesPerSecond = previous.ImagesSucceeded / Math.Max(1e-9, clock.Elapsed.TotalSeconds),
            SubmittedUtc = finished - clock.Elapsed,
            FinishedUtc = finished,
            RefitOf = previous.RefitOf ?? source.Root,
        };
        var output = new JobOutput(destination);
        await output.WriteSummaryAsync(summary, cancellationToken);
        await output.WriteSuccessAsync(cancellationToken);
        if (InPlace)
        {
            await destination.DeleteAsync(Marker, cancellationToken);
        }

        return summary;
    }

    /// <summary>A part's statistics, its rows taken in chunks on every core: a part of the default size is one big block.</summary>
    private static MomentStatistics StatisticsOf(FeatureTable table)
    {
        var chunks = new MomentStatistics[Chunks(table.Count)];
        Parallel.For(0, chunks.Length, chunk =>
        {
            var (first, rows) = Chunk(chunk, table.Count);
            chunks[chunk] = MomentStatistics.FromRows(table.FeatureBlock.Slice(first * table.Dimension, rows * table.Dimension), rows, table.Dimension);
        });
        return chunks.Length == 1 ? chunks[0] : MomentStatistics.MergeAll(chunks);
    }

    private static int Chunks(int rows) => Math.Max(1, (rows + ChunkRows - 1) / ChunkRows);

    private static (int First, int Rows) Chunk(int chunk, int rows) => (chunk * ChunkRows, Math.Min(ChunkRows, rows - (chunk * ChunkRows)));

    private static double Lap(Stopwatch clock, Dictionary<string, double> phases) => clock.Elapsed.TotalSeconds - phases.Values.Sum();
}
