using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Fruits.Pipeline.Output;
using Fruits.Pipeline.Storage;
using Spectre.Console;

namespace Fruits.Client.Commands;

/// <summary>`fruits inspect OUTPUT`: schema, row count, label counts and the first rows, like the seed's df.head().</summary>
public sealed class InspectCommand : FruitsCommand
{
    private readonly Argument<string> _output = new("OUTPUT") { Description = "a finished job's output folder or s3://bucket/prefix" };
    private readonly Option<string?> _label = new("--label") { Description = "only the rows of this label", HelpName = "LABEL" };
    private readonly Option<string?> _path = new("--path") { Description = "only the rows whose image path contains this text", HelpName = "TEXT" };
    private readonly Option<int?> _rows = NumberOptions.Integer("--rows", "how many rows to show (default 5)", "N");

    public InspectCommand(GlobalOptions global)
        : base("inspect", "schema, row count, label counts and the first rows of a finished job", global)
    {
        Arguments.Add(_output);
        Options.Add(_label);
        Options.Add(_path);
        Options.Add(_rows);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parse, CliSettings settings, CancellationToken cancellationToken)
    {
        var location = StorageLocation.Parse(parse.GetRequiredValue(_output));
        var label = parse.GetValue(_label);
        var path = parse.GetValue(_path);
        var head = parse.GetValue(_rows) ?? 5;
        var json = settings.Json;
        var console = AnsiConsole.Console;

        using var stores = OutputStores.FromConfiguration();
        var reader = new OutputReader(stores.Open(location));
        var labels = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var first = new List<OutputRow>();
        var total = 0;
        var k = 0;
        await foreach (var row in reader.RowsAsync(cancellationToken))
        {
            if ((label is not null && row.Label != label) || (path is not null && !row.Path.Contains(path, StringComparison.Ordinal)))
            {
                continue;
            }

            total++;
            k = row.PcaFeatures.Length;
            labels[row.Label] = labels.GetValueOrDefault(row.Label) + 1;
            if (first.Count < head)
            {
                first.Add(row);
            }
        }

        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                rows = total,
                schema = Schema(k).ToDictionary(c => c.Name, c => c.Type),
                labels,
                head = first.Select(r => new { path = r.Path, label = r.Label, features = r.Features.Take(5), pca_features = r.PcaFeatures.Take(5) }),
            }));
            return ExitCodes.Success;
        }

        var schema = new Table().Border(TableBorder.Rounded).AddColumns("column", "type");
        foreach (var (name, type) in Schema(k))
        {
            schema.AddRow(name, Markup.Escape(type));
        }

        console.Write(schema);
        console.MarkupLineInterpolated($"[bold]{total:N0}[/] rows, [bold]{labels.Count}[/] labels");
        var counts = new Table().Border(TableBorder.Rounded).AddColumns("label", "rows");
        foreach (var (name, count) in labels.OrderByDescending(l => l.Value).ThenBy(l => l.Key, StringComparer.Ordinal).Take(20))
        {
            counts.AddRow(Markup.Escape(name), count.ToString("N0", CultureInfo.InvariantCulture));
        }

        console.Write(counts);
        var rows = new Table().Border(TableBorder.Rounded).AddColumns("path", "label", "features", "pca_features");
        foreach (var row in first)
        {
            rows.AddRow(Markup.Escape(row.Path), Markup.Escape(row.Label), Markup.Escape(Preview(row.Features)), Markup.Escape(Preview(row.PcaFeatures)));
        }

        console.Write(rows);
        return ExitCodes.Success;
    }

    private static (string Name, string Type)[] Schema(int k) =>
    [
        ("path", "string"), ("label", "string"), ("features", "list<float> (1280)"), ("pca_features", $"list<float> ({k})"),
    ];

    private static string Preview(float[] values) =>
        "[" + string.Join(", ", values.Take(3).Select(v => v.ToString("G4", CultureInfo.InvariantCulture))) + (values.Length > 3 ? $", ... ({values.Length})]" : "]");
}
