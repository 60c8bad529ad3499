using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Fruits.Grains;
using Fruits.Grains.Interfaces;
using Fruits.Pipeline.Output;
using Fruits.Pipeline.Statistics;
using Fruits.Pipeline.Storage;

namespace Fruits.Client.Commands;

/// <summary>
/// `fruits refit OUTPUT (--k N | --threshold T) [--output NEW]`: a new PCA and projection of a finished job's
/// stored features, in this process: no cluster, no image read, no model.
/// </summary>
public sealed class RefitCommand : FruitsCommand
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private readonly Argument<string> _source = new("OUTPUT") { Description = "a finished job's output folder or s3://bucket/prefix" };
    private readonly Option<int?> _k = NumberOptions.Integer("--k", "keep exactly this many PCA components", "N");
    private readonly Option<double?> _threshold = NumberOptions.Number("--threshold", "keep the fewest PCA components that explain this share of the variance", "SHARE");
    private readonly Option<string?> _target = new("--output")
    {
        Description = "write the refit output here (an empty or new folder, or s3://bucket/prefix) instead of replacing OUTPUT's PCA in place",
        HelpName = "NEW",
    };

    public RefitCommand(GlobalOptions global)
        : base("refit", "a new PCA (--k or --threshold) and projection from a finished job's stored features, in seconds: no images read, no model run", global)
    {
        Arguments.Add(_source);
        Options.Add(_k);
        Options.Add(_threshold);
        Options.Add(_target);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parse, CliSettings settings, CancellationToken cancellationToken)
    {
        var selection = ReadSelection(parse);
        var source = Location(parse.GetRequiredValue(_source));
        var target = parse.GetValue(_target) is { } named ? Location(named) : source;
        if (!source.IsS3 && !Directory.Exists(source.Uri))
        {
            throw new UsageException($"output folder {source.Uri} does not exist");
        }

        if (target != source)
        {
            try
            {
                OutputGuard.Check(source, target);
            }
            catch (ArgumentException e)
            {
                throw new UsageException(e.Message);
            }
        }

        using var stores = OutputStores.FromConfiguration();
        var refit = new OutputRefit(stores.Open(source), stores.Open(target));
        var checkedSource = await refit.CheckAsync(cancellationToken);
        var summary = await refit.RunAsync(selection, checkedSource, cancellationToken);
        Console.WriteLine(settings.Json
            ? JsonSerializer.Serialize(summary, Json)
            : string.Create(CultureInfo.InvariantCulture, $"refit {summary.ImagesSucceeded:N0} images of {checkedSource.Parts.Count:N0} parts: k = {summary.K}, variance kept {summary.VarianceKept:P2}, {summary.TotalSeconds:F1} s; written to {summary.Output}"));
        return ExitCodes.Success;
    }

    private PcaSelection ReadSelection(ParseResult parse)
    {
        var k = parse.GetValue(_k);
        var threshold = parse.GetValue(_threshold);
        if ((k is null) == (threshold is null))
        {
            throw new UsageException("give exactly one of --k N or --threshold T");
        }

        if (k is < 1 or > JobSpec.MaxComponents)
        {
            throw new UsageException($"--k must be within [1, {JobSpec.MaxComponents}], got {k}");
        }

        if (threshold is not null and not (> 0 and <= 1))
        {
            throw new UsageException(string.Create(CultureInfo.InvariantCulture, $"--threshold must be within (0, 1], got {threshold}"));
        }

        return new PcaSelection(threshold ?? PcaSelectionData.DefaultThreshold, k);
    }

    private static StorageLocation Location(string value)
    {
        try
        {
            return StorageLocation.Parse(value);
        }
        catch (StorageException e)
        {
            throw new UsageException(e.Message);
        }
    }
}
