using Fruits.Grains;
using Fruits.Grains.Interfaces;
using Fruits.Pipeline.Output;
using Fruits.Pipeline.Plots;
using Fruits.Pipeline.Statistics;
using Fruits.Pipeline.Storage;
using SkiaSharp;

namespace Fruits.UnitTests.Refit;

/// <summary>Refit of a synthetic finished output: small features, so the fit costs nothing and the expected PCA is computed directly.</summary>
public sealed class OutputRefitTests : IDisposable
{
    private const int Dimension = 12;
    private const int Parts = 5;
    private const int RowsPerPart = 40;
    private readonly TempDirectory _temp = new("fruits-refit");

    [Fact]
    public async Task Refit_into_a_new_output_matches_a_fit_of_all_stored_features()
    {
        var source = await FinishedOutputAsync("out");
        var target = new LocalObjectStore(_temp.Combine("refit"));
        var refit = new OutputRefit(source, target);

        var summary = await refit.RunAsync(new PcaSelection(FixedK: 4), await refit.CheckAsync());

        var all = await ReadAllAsync(source);
        var expected = new PcaFitter().Fit(MomentStatistics.FromRows(all.SelectMany(t => t.Features).ToArray(), all.Count, Dimension), new PcaSelection(FixedK: 4));
        Assert.Equal(4, summary.K);
        Assert.Equal(source.Root, summary.RefitOf);
        Assert.Equal(target.Root, summary.Output);
        Assert.Equal(Parts * RowsPerPart, summary.ImagesSucceeded);
        Assert.True(await target.ExistsAsync(OutputLayout.Success));
        Assert.False(await target.ExistsAsync(OutputRefit.Marker));
        Assert.True(await target.ExistsAsync(OutputLayout.VariancePlot));
        Assert.True(await target.ExistsAsync(OutputLayout.ScatterPlot));
        var model = PcaModelJson.Deserialize(await ReadBytesAsync(target, OutputLayout.PcaModel));
        Assert.Equal(expected.K, model.K);
        Assert.Equal(expected.Count, model.Count);
        for (var i = 0; i < Dimension; i++)
        {
            Assert.Equal(expected.ExplainedVarianceRatio[i], model.ExplainedVarianceRatio[i], 1e-9);
        }

        // Every row once, features untouched, projected with the new model.
        using var db = new DuckDb();
        var parts = $"read_parquet({DuckDb.Quote(Path.Combine(target.Root, "part-*.parquet"))})";
        Assert.Equal(Parts * RowsPerPart, db.Scalar<int>($"SELECT count(DISTINCT path) FROM {parts}"));
        Assert.Equal(0, db.Scalar<int>($"SELECT count(*) FROM {parts} WHERE len(pca_features) <> 4"));
        var projector = new PcaProjector(model);
        var rows = db.Rows($"SELECT path, features, pca_features FROM {parts}");
        Assert.Equal(Parts * RowsPerPart, rows.Count);
        foreach (var row in rows)
        {
            var features = ((System.Collections.IList)row[1]!).Cast<float>().ToArray();
            Assert.Equal(all.Single(r => r.Path == (string)row[0]!).Features, features);
            var projected = new float[4];
            projector.Project(features, 1, projected);
            var stored = ((System.Collections.IList)row[2]!).Cast<float>().ToArray();
            Assert.All(Enumerable.Range(0, 4), c => Assert.Equal(projected[c], stored[c], 1e-4f));
        }

        // The source is unchanged.
        var sourceParts = $"read_parquet({DuckDb.Quote(Path.Combine(source.Root, "part-*.parquet"))})";
        Assert.Equal(0, db.Scalar<int>($"SELECT count(*) FROM {sourceParts} WHERE len(pca_features) <> 1"));
    }

    [Fact]
    public async Task Refit_starts_from_the_kept_statistics_only_while_they_count_the_parts_rows()
    {
        var source = await FinishedOutputAsync("out");
        var all = await ReadAllAsync(source);
        var features = all.SelectMany(r => r.Features).ToArray();
        var actual = MomentStatistics.FromRows(features, all.Count, Dimension);
        // Statistics of other values over as many rows: a refit that uses them fits something else than the parts.
        var planted = MomentStatistics.FromRows(all.SelectMany(r => r.Features.Reverse().Select((v, c) => v * (c + 1))).ToArray(), all.Count, Dimension);
        var selection = new PcaSelection(FixedK: 3);
        await OutputMoments.WriteAsync(source, planted);

        var kept = new LocalObjectStore(_temp.Combine("from-kept"));
        await new OutputRefit(source, kept).RunAsync(selection, await new OutputRefit(source, kept).CheckAsync());

        AssertSameFit(new PcaFitter().Fit(planted, selection), PcaModelJson.Deserialize(await ReadBytesAsync(kept, OutputLayout.PcaModel)));
        Assert.Equal(OutputMoments.Serialize(planted), await ReadBytesAsync(kept, OutputLayout.Moments));

        // Kept statistics of one row fewer are not the parts': the refit recomputes them, and keeps those instead.
        await OutputMoments.WriteAsync(source, MomentStatistics.FromRows(features, all.Count - 1, Dimension));
        var recomputed = new LocalObjectStore(_temp.Combine("recomputed"));
        await new OutputRefit(source, recomputed).RunAsync(selection, await new OutputRefit(source, recomputed).CheckAsync());

        AssertSameFit(new PcaFitter().Fit(actual, selection), PcaModelJson.Deserialize(await ReadBytesAsync(recomputed, OutputLayout.PcaModel)));
        var stored = await OutputMoments.TryReadAsync(recomputed, all.Count);
        Assert.NotNull(stored);
        Assert.All(Enumerable.Range(0, Dimension), j => Assert.Equal(actual.Mean[j], stored.Mean[j], 1e-9));
        Assert.All(Enumerable.Range(0, actual.CoMoment.Length), i => Assert.Equal(actual.CoMoment[i], stored.CoMoment[i], 1e-6));
    }

    [Fact]
    public async Task Refit_in_place_by_threshold_replaces_the_pca_and_keeps_the_output_finished()
    {
        var output = await FinishedOutputAsync("out");
        var refit = new OutputRefit(output, output);

        var summary = await refit.RunAsync(new PcaSelection(Threshold: 0.9), await refit.CheckAsync());

        Assert.True(summary.VarianceKept >= 0.9);
        Assert.Equal(0.9, summary.Threshold);
        Assert.True(await output.ExistsAsync(OutputLayout.Success));
        Assert.False(await output.ExistsAsync(OutputRefit.Marker));
        var table = await new JobOutput(output).ReadSummaryAsync();
        Assert.Equal(summary.K, table!.K);
        Assert.Equal(summary.K, PcaModelJson.Deserialize(await ReadBytesAsync(output, OutputLayout.PcaModel)).K);
        // An output without kept statistics gets them, so the next refit starts from them.
        Assert.NotNull(await OutputMoments.TryReadAsync(output, Parts * RowsPerPart));
    }

    [Fact]
    public async Task A_refit_from_its_source_s_statistics_keeps_its_scatter_and_any_other_draws_its_own()
    {
        // A refit of the synthetic output keeps statistics and a model: the source of the refits below. Its scatter
        // is replaced by a picture no refit would draw, so a kept one is told from a drawn one.
        var synthetic = await FinishedOutputAsync("out");
        var first = new LocalObjectStore(_temp.Combine("first"));
        await new OutputRefit(synthetic, first).RunAsync(new PcaSelection(FixedK: 3), await new OutputRefit(synthetic, first).CheckAsync());
        var planted = new PlotRenderer(40, 30).Scatter([new ScatterPoint(0, 0, "a"), new ScatterPoint(1, 1, "b")]);
        await first.WriteAsync(OutputLayout.ScatterPlot, planted);

        // Another k from the same statistics has the same PC1 and PC2: the source's picture, into a new output or in place.
        var otherK = new LocalObjectStore(_temp.Combine("other-k"));
        await new OutputRefit(first, otherK).RunAsync(new PcaSelection(Threshold: 0.99), await new OutputRefit(first, otherK).CheckAsync());
        Assert.Equal(planted, await ReadBytesAsync(otherK, OutputLayout.ScatterPlot));
        await new OutputRefit(first, first).RunAsync(new PcaSelection(FixedK: 2), await new OutputRefit(first, first).CheckAsync());
        Assert.Equal(planted, await ReadBytesAsync(first, OutputLayout.ScatterPlot));

        // k = 1 has no PC2 to show.
        await AssertDrawnAsync(first, "one", new PcaSelection(FixedK: 1));

        // A source model whose leading components are not this fit's (PC1 and PC2 swapped).
        var model = PcaModelJson.Deserialize(await ReadBytesAsync(first, OutputLayout.PcaModel));
        var swapped = (double[])model.Components.Clone();
        model.Components.AsSpan(Dimension, Dimension).CopyTo(swapped);
        model.Components.AsSpan(0, Dimension).CopyTo(swapped.AsSpan(Dimension));
        await first.WriteAsync(OutputLayout.PcaModel, PcaModelJson.Serialize(model with { Components = swapped }));
        await AssertDrawnAsync(first, "swapped", new PcaSelection(FixedK: 3));

        // Statistics recomputed from the parts (none kept) are not taken to be the source's, whatever its model says.
        await first.WriteAsync(OutputLayout.PcaModel, PcaModelJson.Serialize(model));
        await first.DeleteAsync(OutputLayout.Moments);
        await AssertDrawnAsync(first, "recomputed", new PcaSelection(FixedK: 3));

        async Task AssertDrawnAsync(LocalObjectStore source, string name, PcaSelection selection)
        {
            var target = new LocalObjectStore(_temp.Combine(name));
            await new OutputRefit(source, target).RunAsync(selection, await new OutputRefit(source, target).CheckAsync());
            var drawn = await ReadBytesAsync(target, OutputLayout.ScatterPlot);
            Assert.NotEqual(planted, drawn);
            using var bitmap = SKBitmap.Decode(drawn);
            Assert.Equal((new PlotRenderer().Width, new PlotRenderer().Height), (bitmap.Width, bitmap.Height));
        }
    }

    [Fact]
    public async Task A_part_whose_rows_do_not_decode_fails_the_refit_and_nothing_is_finished()
    {
        var source = await FinishedOutputAsync("out");
        var all = await ReadAllAsync(source);
        // Kept statistics of the right count, so the part is first read by the projection's read-ahead.
        await OutputMoments.WriteAsync(source, MomentStatistics.FromRows(all.SelectMany(r => r.Features).ToArray(), all.Count, Dimension));
        var part = Path.Combine(source.Root, OutputLayout.OutputPart(2));
        var bytes = await File.ReadAllBytesAsync(part);
        // The footer stays readable (so the part is counted); its data pages do not.
        Array.Fill(bytes, (byte)0xFF, 4, bytes.Length / 2);
        await File.WriteAllBytesAsync(part, bytes);
        var target = new LocalObjectStore(_temp.Combine("refit"));
        var refit = new OutputRefit(source, target);

        var failure = await Assert.ThrowsAnyAsync<Exception>(async () => await refit.RunAsync(new PcaSelection(FixedK: 2), await refit.CheckAsync()));

        Assert.Contains("corrupt", failure.Message, StringComparison.OrdinalIgnoreCase);
        Assert.False(await target.ExistsAsync(OutputLayout.Success));
        Assert.False(await target.ExistsAsync(OutputLayout.Summary));
    }

    [Fact]
    public async Task Refuses_an_unfinished_or_missing_output_and_a_destination_in_use_without_writing()
    {
        var unfinished = await FinishedOutputAsync("unfinished");
        await unfinished.WriteAsync(OutputLayout.Plan, "{}"u8.ToArray());
        await unfinished.DeleteAsync(OutputLayout.Success);
        var finished = await FinishedOutputAsync("finished");
        var busy = new LocalObjectStore(_temp.Combine("busy"));
        await busy.WriteAsync("notes.txt", "mine"u8.ToArray());
        var empty = new LocalObjectStore(_temp.Combine("nothing"));

        var notFinished = await Assert.ThrowsAsync<InvalidOperationException>(() => new OutputRefit(unfinished, unfinished).CheckAsync());
        Assert.Contains("unfinished job", notFinished.Message, StringComparison.Ordinal);
        var noJob = await Assert.ThrowsAsync<InvalidOperationException>(() => new OutputRefit(empty, empty).CheckAsync());
        Assert.Contains("holds no job output", noJob.Message, StringComparison.Ordinal);
        var inUse = await Assert.ThrowsAsync<InvalidOperationException>(() => new OutputRefit(finished, busy).CheckAsync());
        Assert.Contains("is not empty", inUse.Message, StringComparison.Ordinal);

        Assert.False(Directory.Exists(empty.Root));
        Assert.Equal(["notes.txt"], Directory.GetFiles(busy.Root).Select(Path.GetFileName));
        Assert.False(await unfinished.ExistsAsync(OutputRefit.Marker));
    }

    public void Dispose() => _temp.Dispose();

    private static void AssertSameFit(PcaModel expected, PcaModel actual)
    {
        Assert.Equal(expected.K, actual.K);
        Assert.Equal(expected.Count, actual.Count);
        Assert.All(Enumerable.Range(0, expected.Dimension), i => Assert.Equal(expected.Eigenvalues[i], actual.Eigenvalues[i], 1e-9 * expected.Eigenvalues[0]));
        Assert.All(Enumerable.Range(0, expected.Dimension), j => Assert.Equal(expected.Mean[j], actual.Mean[j], 1e-12));
    }

    private Task<LocalObjectStore> FinishedOutputAsync(string name) => SyntheticOutput.WriteAsync(_temp.Combine(name), Parts, RowsPerPart, Dimension);

    private static async Task<List<(string Path, float[] Features)>> ReadAllAsync(IObjectStore store)
    {
        var rows = new List<(string, float[])>();
        for (var part = 0; part < Parts; part++)
        {
            var table = await FeatureParts.ReadAsync(store, OutputLayout.OutputPart(part));
            rows.AddRange(Enumerable.Range(0, table.Count).Select(i => (table.Paths[i], table.Row(i).ToArray())));
        }

        return rows;
    }

    private static async Task<byte[]> ReadBytesAsync(IObjectStore store, string key)
    {
        await using var stream = await store.OpenReadAsync(key);
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer);
        return buffer.ToArray();
    }
}
