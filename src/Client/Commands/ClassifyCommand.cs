using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Fruits.Grains.Interfaces;
using Fruits.Pipeline.Storage;
using Fruits.Silo;
using Spectre.Console;

namespace Fruits.Client.Commands;

/// <summary>`fruits classify OUTPUT PHOTO...`: the top labels and nearest images of each photo, on the cluster or an embedded silo.</summary>
public sealed class ClassifyCommand : FruitsCommand
{
    private readonly Argument<string> _output = new("OUTPUT") { Description = "a finished job's output folder or s3://bucket/prefix" };
    private readonly Argument<string[]> _photos = new("PHOTO") { Description = "photos to classify (JPEG, PNG, ...)", Arity = ArgumentArity.OneOrMore };
    private readonly Option<int?> _top = NumberOptions.Integer("--top", "how many labels to show for each photo (default 5)", "N");
    private readonly ClusterOptions _cluster = new();

    public ClassifyCommand(GlobalOptions global)
        : base("classify", "what fruit is each photo: nearest labelled images of a finished job, on an embedded local silo unless --cluster or --gateway-port names a running cluster", global)
    {
        Arguments.Add(_output);
        Arguments.Add(_photos);
        Options.Add(_top);
        _cluster.AddTo(this);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parse, CliSettings settings, CancellationToken cancellationToken)
    {
        var output = StorageLocation.Parse(parse.GetRequiredValue(_output)).Uri;
        var top = parse.GetValue(_top) ?? 5;
        if (top < 1)
        {
            throw new UsageException($"--top must be at least 1, got {top}");
        }

        var photos = parse.GetRequiredValue(_photos);
        foreach (var photo in photos)
        {
            if (!File.Exists(photo))
            {
                throw new UsageException($"{photo}: no such file");
            }
        }

        await using var cluster = await _cluster.ConnectOrEmbedAsync(parse, settings, null, cancellationToken);
        var summary = await cluster.Grains.GetGrain<IOutputIndexGrain>(output).Open();
        if (!summary.Found)
        {
            throw new UsageException(summary.Problem!);
        }

        var classifier = cluster.Grains.GetGrain<IClassifyGrain>(0);
        var answers = new List<object>();
        var failed = 0;
        foreach (var photo in photos)
        {
            var result = await classifier.Classify(output, await File.ReadAllBytesAsync(photo, cancellationToken), top);
            if (result.Problem == ClassifyProblem.BadRequest)
            {
                throw new UsageException(result.Reason!);
            }

            if (result.Problem != ClassifyProblem.None)
            {
                failed++;
                Console.Error.WriteLine($"fruits: {photo}: {result.Reason}");
                answers.Add(new { photo, error = result.Reason });
                continue;
            }

            if (settings.Json)
            {
                answers.Add(ClassifyJson.Answer(output, result, photo));
            }
            else
            {
                Print(photo, result);
            }
        }

        if (settings.Json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new { output, index_rows = summary.Rows, dimensions = summary.Dimensions, photos = answers }, ClassifyJson.Options));
        }

        // A photo that is not an image is a bad request, like a bad input image is for a job.
        return failed == 0 ? ExitCodes.Success : ExitCodes.BadRequest;
    }

    private static void Print(string photo, ClassifyResult result)
    {
        var console = AnsiConsole.Console;
        console.MarkupLineInterpolated($"[bold]{photo}[/]: [green]{result.Labels[0].Label}[/]");
        var table = new Table().Border(TableBorder.Rounded).AddColumns("label", "score", "votes");
        foreach (var label in result.Labels)
        {
            table.AddRow(Markup.Escape(label.Label), label.Score.ToString("P1", CultureInfo.InvariantCulture), label.Votes.ToString(CultureInfo.InvariantCulture));
        }

        console.Write(table);
        var nearest = new Table().Border(TableBorder.Rounded).AddColumns("nearest image", "label", "distance");
        foreach (var image in result.Nearest)
        {
            nearest.AddRow(Markup.Escape(image.Path), Markup.Escape(image.Label), image.Distance.ToString("F3", CultureInfo.InvariantCulture));
        }

        console.Write(nearest);
    }
}
