using Fruits.Pipeline.Statistics;
using ScottPlot;
using SkiaSharp;

namespace Fruits.Pipeline.Plots;

/// <summary>The job's two pictures, as PNG bytes: the explained-variance curve and the PC1/PC2 scatter.</summary>
public sealed class PlotRenderer(int width = 1200, int height = 800)
{
    public const int ColouredLabels = 12;

    public int Width => width;

    public int Height => height;

    public byte[] VarianceCurve(PcaModel model)
    {
        var plot = new Plot();
        var cumulative = model.CumulativeExplainedVarianceRatio();

        // The interesting part of the curve is the first few hundred components.
        var shown = Math.Min(model.Dimension, Math.Max(4 * model.K, 200));
        var xs = Enumerable.Range(1, shown).Select(i => (double)i).ToArray();
        var curve = plot.Add.ScatterLine(xs, cumulative[..shown]);
        curve.LegendText = "cumulative explained variance";
        curve.LineWidth = 2;
        if (model.Selection.FixedK is null)
        {
            var threshold = plot.Add.HorizontalLine(model.Selection.Threshold);
            threshold.LinePattern = LinePattern.Dashed;
            threshold.LegendText = $"threshold {model.Selection.Threshold:P0}";
        }

        var chosen = plot.Add.VerticalLine(model.K);
        chosen.LinePattern = LinePattern.Dotted;
        chosen.LegendText = $"k = {model.K}";
        var marker = plot.Add.Marker(model.K, cumulative[model.K - 1], MarkerShape.FilledCircle, 10);
        marker.LegendText = $"{cumulative[model.K - 1]:P1} kept";
        plot.Title($"PCA of MobileNetV2 features (n = {model.Count:N0})");
        plot.XLabel("number of components");
        plot.YLabel("cumulative explained variance ratio");
        plot.Axes.SetLimitsY(0, 1.02);
        plot.ShowLegend(Alignment.LowerRight);
        return Png(plot);
    }

    /// <summary>Category20 pairs a dark and a light shade of each hue: take the ten dark ones first.</summary>
    private static int DistinctColour(int index) => index < 10 ? index * 2 : ((index - 10) * 2) + 1;

    public byte[] Scatter(IReadOnlyList<ScatterPoint> points)
    {
        var plot = new Plot();
        var top = points.GroupBy(p => p.Label, StringComparer.Ordinal)
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .Take(ColouredLabels).Select(g => g.Key).ToHashSet(StringComparer.Ordinal);

        var others = points.Where(p => !top.Contains(p.Label)).ToList();
        if (others.Count > 0)
        {
            var grey = plot.Add.ScatterPoints(others.Select(p => (double)p.X).ToArray(), others.Select(p => (double)p.Y).ToArray(), Colors.LightGray);
            grey.MarkerSize = 3;
            grey.LegendText = "other labels";
        }

        var palette = new ScottPlot.Palettes.Category20();
        var index = 0;
        foreach (var label in top.Order(StringComparer.Ordinal))
        {
            var group = points.Where(p => p.Label == label).ToList();
            var scatter = plot.Add.ScatterPoints(group.Select(p => (double)p.X).ToArray(), group.Select(p => (double)p.Y).ToArray(), palette.GetColor(DistinctColour(index++)));
            scatter.MarkerSize = 5;
            scatter.LegendText = label;
        }

        plot.Title($"First two principal components ({points.Count:N0} images, {ColouredLabels} most frequent labels coloured)");
        plot.XLabel("PC 1");
        plot.YLabel("PC 2");
        plot.ShowLegend(Alignment.UpperRight);
        return Png(plot);
    }

    /// <summary>
    /// The plot drawn on an RGBA surface of the renderer's size, then encoded with the Sub filter at zlib level 3: a
    /// chart of flat colours and thin lines compresses at least as small that way as with every filter tried at zlib's
    /// default level 6, in a fraction of the time, and that encoding was most of what a 20,000-point scatter cost.
    /// </summary>
    private byte[] Png(Plot plot)
    {
        using var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul))
            ?? throw new InvalidOperationException($"cannot draw a {width} x {height} picture");
        plot.Render(surface.Canvas, width, height);
        using var pixels = surface.PeekPixels();
        using var png = pixels.Encode(new SKPngEncoderOptions(SKPngEncoderFilterFlags.Sub, 3))
            ?? throw new InvalidOperationException($"cannot encode a {width} x {height} picture as PNG");
        return png.ToArray();
    }
}
