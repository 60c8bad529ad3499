using Fruits.Pipeline.Evaluation;
using ScottPlot;

namespace Fruits.Pipeline.Plots;

/// <summary>k-NN accuracy against the number of dimensions (log scale), both fold schemes, the job's k marked.</summary>
public static class AccuracyPlot
{
    public static byte[] Render(EvaluationReport report, int width = 1200, int height = 800)
    {
        ArgumentNullException.ThrowIfNull(report);
        var plot = new Plot();
        var xs = report.Accuracy.Select(a => Math.Log2(a.Dimensions)).ToArray();
        var interleaved = plot.Add.ScatterLine(xs, report.Accuracy.Select(a => a.Interleaved).ToArray());
        interleaved.LegendText = "interleaved folds (neighbouring frames split)";
        interleaved.LineWidth = 2;
        interleaved.MarkerSize = 8;
        var blocked = plot.Add.ScatterLine(xs, report.Accuracy.Select(a => a.Blocked).ToArray());
        blocked.LegendText = "blocked folds (neighbouring frames together)";
        blocked.LineWidth = 2;
        blocked.MarkerSize = 8;
        blocked.LinePattern = LinePattern.Dashed;
        var jobK = plot.Add.VerticalLine(Math.Log2(report.JobK));
        jobK.LinePattern = LinePattern.Dotted;
        jobK.LegendText = $"job's k = {report.JobK}";
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            report.Accuracy.Select(a => Math.Log2(a.Dimensions)).ToArray(),
            report.Accuracy.Select(a => a.Space == "raw" ? $"raw {a.Dimensions}" : a.Dimensions.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray());
        plot.Title($"{report.Neighbours}-NN accuracy by {report.Folds}-fold cross-validation ({report.Rows:N0} images, {report.Labels} labels)");
        plot.XLabel("dimensions (PCA components, log scale)");
        plot.YLabel("accuracy");
        plot.Axes.SetLimitsY(Math.Max(0, report.Accuracy.Min(a => Math.Min(a.Interleaved, a.Blocked)) - 0.05), 1.01);
        plot.ShowLegend(Alignment.LowerRight);
        return plot.GetImageBytes(width, height, ImageFormat.Png);
    }
}
