using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Fruits.Grains.Interfaces;
using Fruits.Pipeline.Output;
using Fruits.Pipeline.Plots;
using Fruits.Pipeline.Statistics;
using Fruits.Pipeline.Storage;

namespace Fruits.Grains;

/// <summary>
/// A new PCA for a finished job's output from the features its final parts hold: no image is read and no model
/// runs. The fit starts from the statistics the job kept (<see cref="OutputMoments"/>), or from a pass over the
/// parts when they are missing or do not count the parts' rows; then one pass over the parts, in parallel and one row
/// group at a time, writes the new parts while the model and its plot are written, then the summary, and _SUCCESS
/// last. Refit in place first replaces _SUCCESS with a marker, so an interrupted refit leaves an output that is not
/// taken as finished and that a second refit may still complete.
/// </summary>
public sealed class OutputRefit(IObjectStore source, IObjectStore destination)
{
    /// <summary>Present while an output is refit in place; its parts keep their features throughout.</summary>
    public const string Marker = "_job/refit.json";

    private const int MaxScatterPoints = 20_000;
    private const int ChunkRows = 4096;

    /// <summary>Above any pca_model.json (all 1,280 components in text) or scatter a job writes.</summary>
    private const long MaxSourceFileBytes = 256L * 1024 * 1024;

    /// <summary>Tables up to this many bytes of features stay in memory between the passes instead of being read twice.</summary>
    private const long CachedFeatureBytes = 1L << 30;

    private bool InPlace => source.Root == destination.Root;

    /// <summary>Refuses (one line, nothing written) an output that is not a finished job's, or a destination that is in use.</summary>
    public async Task<RefitSource> CheckAsync(CancellationToken cancellationToken = default)
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

        return new RefitSource(parts, finished);
    }

    public async Task<JobSummary> RunAsync(PcaSelection selection, RefitSource checkedSource, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(selection);
        ArgumentNullException.ThrowIfNull(checkedSource);
        var parts = checkedSource.Parts;
        var clock = Stopwatch.StartNew();
        var phases = new Dictionary<string, double>();
        // The summary is only needed at the end, and checked before anything is written: read alongside the statistics
        // (on a thread of its own, as a local store reads, and the parser parses, without yielding).
        var reading = Task.Run(() => new JobOutput(source).ReadSummaryAsync(cancellationToken), cancellationToken);
        var resuming = InPlace && !checkedSource.Finished;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancellationToken };

        // statistics: those the job fitted on, kept in the output, while they still count the parts' rows; else a
        // pass over every feature, whose tables are kept (up to a bound) for the projection
        var rows = await RowCountsAsync(parts, cancellationToken);
        var cached = new ConcurrentDictionary<string, FeatureTable>(StringComparer.Ordinal);
        var stored = await OutputMoments.TryReadAsync(source, rows.Values.Sum(), cancellationToken);
        var statistics = stored ?? await ComputeStatisticsAsync(parts, parallel, cached, cancellationToken);
        var previous = await reading
            ?? throw new InvalidOperationException($"{source.DescribeKey(OutputLayout.Summary)} does not read as a job summary");

        // The source's model is read while this one is fitted: its scatter may serve as this one's (SourceScatterAsync).
        var sourceModel = stored is null || resuming ? Task.FromResult<PcaModel?>(null) : Task.Run(() => ReadSourceModelAsync(cancellationToken), cancellationToken);
        phases["statistics"] = Lap(clock, phases);

        // fit, while the first row groups are read; nothing in the destination changes before the fit succeeds
        double fitted = 0;
        var ready = FitAsync();
        async Task<PcaProjector> FitAsync()
        {
            var model = await Task.Run(() => new PcaFitter().Fit(statistics, selection), cancellationToken);
            fitted = clock.Elapsed.TotalSeconds;
            if (InPlace)
            {
                await destination.WriteAsync(Marker, "{}"u8.ToArray(), cancellationToken);
                await destination.DeleteAsync(OutputLayout.Success, cancellationToken);
            }

            return new PcaProjector(model);
        }

        // what needs only the fit is written while the parts are projected
        var plots = new PlotRenderer();
        var fitOutputs = WriteFitOutputsAsync();
        async Task WriteFitOutputsAsync()
        {
            var model = (await ready).Model;

            // In place, the source's model is read before this one replaces it.
            await sourceModel;
            await destination.WriteAsync(OutputLayout.PcaModel, PcaModelJson.Serialize(model), cancellationToken);
            await destination.WriteAsync(OutputLayout.VariancePlot, plots.VarianceCurve(model), cancellationToken);
            if (stored is null || !InPlace)
            {
                await OutputMoments.WriteAsync(destination, statistics, cancellationToken);
            }

            if (!InPlace && await source.ExistsAsync(OutputLayout.Errors, cancellationToken))
            {
                await using var errors = await source.OpenReadAsync(OutputLayout.Errors, cancellationToken);
                using var copy = new MemoryStream();
                await errors.CopyToAsync(copy, cancellationToken);
                await destination.WriteAsync(OutputLayout.Errors, copy.GetBuffer().AsMemory(0, (int)copy.Length), cancellationToken);
            }
        }

        // The scatter plot needs every projected point, not the parts written: it is drawn while the last row groups
        // are, unless the source's own picture is this fit's too.
        var points = new ConcurrentBag<(string Part, ScatterPoint[] Points)>();
        var unprojected = parts.Count;
        var allProjected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var scatterPlot = DrawScatterAsync();
        async Task<byte[]?> DrawScatterAsync()
        {
            if (await SourceScatterAsync((await ready).Model, await sourceModel, cancellationToken) is { } kept)
            {
                return InPlace ? null : kept;
            }

            await allProjected.Task;
            var scatter = points.OrderBy(p => p.Part, StringComparer.Ordinal).SelectMany(p => p.Points).Take(MaxScatterPoints).ToList();
            return await Task.Run(() => new PlotRenderer().Scatter(scatter), cancellationToken);
        }

        // project: each part is replaced whole, keeping its rows and features, streamed one row group at a time
        try
        {
            await Parallel.ForEachAsync(parts, parallel, async (part, token) =>
            {
                // The part's reading starts now, ahead of the fit; a kept table is cut into row groups once k is known.
                cached.TryRemove(part, out var kept);
                await using var reading = kept is null ? new ReadAhead<FeatureTable>(FeatureParts.ReadRowGroupsAsync(source, part, ArrayPool<float>.Shared, token), capacity: 2, token) : null;
                var projector = await ready;
                var k = projector.Model.K;
                var rowGroupRows = OutputPartPlan.RowGroupRows(OutputPartPlan.BytesPerRow(statistics.Dimension, k));
                var groups = reading?.ReadAllAsync(token) ?? Slices(kept!, rowGroupRows).ToAsyncEnumerable();

                // An even sample of each part, so the picture covers every label whatever the parts' sizes.
                var stride = (int)Math.Max(1, rows[part] / Math.Max(1, MaxScatterPoints / parts.Count));
                var sample = new List<ScatterPoint>();
                await FeatureParts.WriteProjectedAsync(destination, part, ProjectAsync(), k, rowGroupRows, token);

                async IAsyncEnumerable<(FeatureTable Table, float[] Pca)> ProjectAsync()
                {
                    var first = 0;
                    await foreach (var table in groups)
                    {
                        if (table.Dimension != statistics.Dimension)
                        {
                            throw new InvalidDataException($"{source.DescribeKey(part)} holds rows of {table.Dimension} features, its statistics {statistics.Dimension}");
                        }

                        var projected = new float[table.Count * k];
                        Parallel.For(0, Chunks(table.Count), chunk =>
                        {
                            var (start, count) = Chunk(chunk, table.Count);
                            projector.Project(table.FeatureBlock.Slice(start * table.Dimension, count * table.Dimension), count, projected.AsSpan(start * k, count * k));
                        });
                        for (var i = (stride - (first % stride)) % stride; i < table.Count; i += stride)
                        {
                            sample.Add(new ScatterPoint(projected[i * k], k > 1 ? projected[(i * k) + 1] : 0f, table.Labels[i]));
                        }

                        first += table.Count;
                        yield return (table, projected);

                        // Written (or copied into the group being cut) by now: a table read from the part gives its
                        // rented features back for the next row group.
                        if (reading is not null)
                        {
                            ArrayPool<float>.Shared.Return(table.Features);
                        }
                    }

                    points.Add((part, sample.ToArray()));
                    if (Interlocked.Decrement(ref unprojected) == 0)
                    {
                        allProjected.TrySetResult();
                    }
                }
            });
        }
        finally
        {
            // A failed fit or projection must not leave the other tasks' failures unobserved.
            allProjected.TrySetCanceled(CancellationToken.None);
            await Task.WhenAll(ready, fitOutputs, scatterPlot).ContinueWith(_ => { }, TaskScheduler.Default);
        }

        await fitOutputs;
        phases["pca_fit"] = fitted - phases.Values.Sum();
        phases["projection"] = Lap(clock, phases);

        // write (a refit in place that keeps its scatter has nothing to write here)
        if (await scatterPlot is { } scatter)
        {
            await destination.WriteAsync(OutputLayout.ScatterPlot, scatter, cancellationToken);
        }

        phases["write"] = Lap(clock, phases);
        var model = (await ready).Model;
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

    /// <summary>The finished source's pca_model.json; null when it is missing or does not read.</summary>
    private async Task<PcaModel?> ReadSourceModelAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await source.ExistsAsync(OutputLayout.PcaModel, cancellationToken)
                ? PcaModelJson.Deserialize(await source.ReadAllBytesAsync(OutputLayout.PcaModel, MaxSourceFileBytes, cancellationToken))
                : null;
        }
        catch (Exception e) when (e is StorageException { IsTransient: false } or JsonException or InvalidDataException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    /// <summary>
    /// The source's scatter when it is exactly what this fit would draw: PC1 and PC2 do not depend on k, so a refit
    /// from the statistics the source was fitted on (the same mean, the same two leading components, to the bit) keeps
    /// the same picture of the same rows. Anything else (recomputed statistics, k = 1 on either side, a model or
    /// scatter missing) draws a new one.
    /// </summary>
    private async Task<byte[]?> SourceScatterAsync(PcaModel model, PcaModel? previous, CancellationToken cancellationToken)
    {
        var d = model.Dimension;
        if (previous is null || model.K < 2 || previous.K < 2 || previous.Dimension != d
            || !model.Mean.AsSpan().SequenceEqual(previous.Mean)
            || !model.Components.AsSpan(0, 2 * d).SequenceEqual(previous.Components.AsSpan(0, 2 * d))
            || !await source.ExistsAsync(OutputLayout.ScatterPlot, cancellationToken))
        {
            return null;
        }

        return await source.ReadAllBytesAsync(OutputLayout.ScatterPlot, MaxSourceFileBytes, cancellationToken);
    }

    /// <summary>Each part's row count from its footer alone.</summary>
    private async Task<Dictionary<string, long>> RowCountsAsync(IReadOnlyList<string> parts, CancellationToken cancellationToken)
    {
        var rows = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var part in parts)
        {
            rows[part] = await ParquetParts.TryReadRowCountAsync(source, part, cancellationToken)
                ?? throw new InvalidDataException($"{source.DescribeKey(part)} does not read as a Parquet part");
        }

        return rows;
    }

    /// <summary>The statistics of every part's features, computed in parallel; tables up to a bound are kept in <paramref name="cached"/>.</summary>
    private async Task<MomentStatistics> ComputeStatisticsAsync(IReadOnlyList<string> parts, ParallelOptions parallel, ConcurrentDictionary<string, FeatureTable> cached, CancellationToken cancellationToken)
    {
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
        return (total ?? throw new InvalidOperationException($"{source.Root} holds no featurized rows")).ToStatistics();
    }

    /// <summary>A table cut into tables of at most <paramref name="rows"/> rows, so a part written from it gets row groups of that size.</summary>
    private static IEnumerable<FeatureTable> Slices(FeatureTable table, int rows)
    {
        if (table.Count <= rows)
        {
            yield return table;
            yield break;
        }

        for (var first = 0; first < table.Count; first += rows)
        {
            var count = Math.Min(rows, table.Count - first);
            yield return new FeatureTable(
                table.Paths.Skip(first).Take(count).ToArray(),
                table.Labels.Skip(first).Take(count).ToArray(),
                table.FeatureBlock.Slice(first * table.Dimension, count * table.Dimension).ToArray(),
                table.Dimension);
        }
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
