using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Fruits.Pipeline.Evaluation;
using Fruits.Pipeline.Plots;
using Fruits.Pipeline.Storage;
using Spectre.Console;

namespace Fruits.Client.Commands;

/// <summary>`fruits evaluate OUTPUT`: how good the job's features are for the nearest-neighbour classifier.</summary>
public sealed class EvaluateCommand : FruitsCommand
{
    private readonly Argument<string> _output = new("OUTPUT") { Description = "a finished job's output folder or s3://bucket/prefix" };
    private readonly Option<string?> _report = new("--report") { Description = "folder for evaluation.json and evaluation.png (default: ./evaluation)", HelpName = "DIR" };
    private readonly Option<int?> _folds = NumberOptions.Integer("--folds", "cross-validation folds (default 5)", "N");
    private readonly Option<int?> _neighbours = NumberOptions.Integer("--neighbours", "nearest images that vote (default 10, as the classifier)", "N");
    private readonly Option<int?> _queries = NumberOptions.Integer("--queries", "images classified per feature size, spread over all labels (default 2000)", "N");

    public EvaluateCommand(GlobalOptions global)
        : base("evaluate", "k-nearest-neighbour accuracy of a finished job's features at several PCA sizes, confusions and duplicates", global)
    {
        Arguments.Add(_output);
        Options.Add(_report);
        Options.Add(_folds);
        Options.Add(_neighbours);
        Options.Add(_queries);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parse, CliSettings settings, CancellationToken cancellationToken)
    {
        var location = StorageLocation.Parse(parse.GetRequiredValue(_output));
        var folds = parse.GetValue(_folds) ?? 5;
        var neighbours = parse.GetValue(_neighbours) ?? 10;
        var queries = parse.GetValue(_queries) ?? 2000;
        if (folds < 2 || neighbours < 1 || queries < 1)
        {
            throw new UsageException($"--folds must be at least 2 and --neighbours and --queries at least 1 (got {folds}, {neighbours}, {queries})");
        }

        var reportFolder = Path.GetFullPath(parse.GetValue(_report) ?? "evaluation");
        using var stores = OutputStores.FromConfiguration();
        var report = await OutputEvaluation.EvaluateAsync(stores.Open(location), stores.Open, new KnnEvaluator(folds, neighbours, queries), cancellationToken);
        Directory.CreateDirectory(reportFolder);
        var json = JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true });
        await File.WriteAllTextAsync(Path.Combine(reportFolder, "evaluation.json"), json, cancellationToken);
        await File.WriteAllBytesAsync(Path.Combine(reportFolder, "evaluation.png"), AccuracyPlot.Render(report), cancellationToken);
        foreach (var warning in report.Warnings)
        {
            Console.Error.WriteLine($"fruits: warning: {warning}");
        }

        if (settings.Json)
        {
            Console.WriteLine(JsonSerializer.Serialize(report));
            return ExitCodes.Success;
        }

        var console = AnsiConsole.Console;
        console.MarkupLineInterpolated($"[bold]{report.Rows:N0}[/] images, [bold]{report.Labels}[/] labels, job's k = [bold]{report.JobK}[/]");
        console.WriteLine(report.HowFoldsAreMade);
        var table = new Table().Border(TableBorder.Rounded).AddColumns("dimensions", "accuracy (interleaved)", "accuracy (blocked)");
        foreach (var a in report.Accuracy)
        {
            var name = a.Space == "raw" ? $"raw {a.Dimensions}" : a.Dimensions == report.JobK ? $"{a.Dimensions} (job's k)" : a.Dimensions.ToString(CultureInfo.InvariantCulture);
            table.AddRow(name, a.Interleaved.ToString("P1", CultureInfo.InvariantCulture), a.Blocked.ToString("P1", CultureInfo.InvariantCulture));
        }

        console.Write(table);
        if (report.MostConfused.Count > 0)
        {
            var confused = new Table().Border(TableBorder.Rounded).AddColumns("label", "taken for", "times");
            foreach (var pair in report.MostConfused)
            {
                confused.AddRow(Markup.Escape(pair.Label), Markup.Escape(pair.PredictedAs), pair.Count.ToString(CultureInfo.InvariantCulture));
            }

            console.Write(confused);
        }

        console.WriteLine($"exact duplicates: {report.ExactDuplicates.Count} group(s), {report.ExactDuplicates.Count(d => d.Labels.Count > 1)} with different labels");
        foreach (var group in report.ExactDuplicates.Where(d => d.Labels.Count > 1).Take(10))
        {
            console.WriteLine($"  {string.Join(" = ", group.Paths)} ({string.Join(", ", group.Labels)})");
        }

        console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"near-duplicates (closer than {report.NearDuplicateDistance:G3}): {report.NearDuplicateShare:P1} of images; {report.NearDuplicatesWithOtherLabels.Count} pair(s) with different labels"));
        foreach (var near in report.NearDuplicatesWithOtherLabels.Take(10))
        {
            console.WriteLine($"  {near.Path} ({near.Label}) ~ {near.NearestPath} ({near.NearestLabel}) at {near.Distance.ToString("G3", CultureInfo.InvariantCulture)}");
        }

        console.WriteLine($"report: {Path.Combine(reportFolder, "evaluation.json")}, {Path.Combine(reportFolder, "evaluation.png")}");
        return ExitCodes.Success;
    }
}
