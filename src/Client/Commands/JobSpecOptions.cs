using System.CommandLine;
using Fruits.Grains;
using Fruits.Grains.Interfaces;
using Fruits.Pipeline.Output;
using Fruits.Pipeline.Statistics;
using Fruits.Pipeline.Storage;

namespace Fruits.Client.Commands;

/// <summary>The options that describe a job (run and submit), turned into a validated <see cref="JobSpec"/>.</summary>
public sealed class JobSpecOptions
{
    public Option<string> Input { get; } = new("--input")
    {
        Description = "the folder (or s3://bucket/prefix) whose .jpg/.jpeg images are featurized; labels are their parent folders' names",
        HelpName = "DIR",
        Required = true,
    };

    public Option<string> Output { get; } = new("--output")
    {
        Description = "where the features, the PCA model and the plots are written (a folder or s3://bucket/prefix)",
        HelpName = "DIR",
        Required = true,
    };

    public Option<double?> Threshold { get; } = NumberOptions.Number("--threshold", "keep the fewest PCA components that explain this share of the variance (default 0.75)", "SHARE");

    public Option<int?> K { get; } = NumberOptions.Integer("--k", "keep exactly this many PCA components instead of a --threshold", "N");

    public Option<int?> BatchSize { get; } = NumberOptions.Integer("--batch-size", $"images per batch (default {JobSpec.DefaultBatchSize})", "N");

    public Option<long?> PartSize { get; } = NumberOptions.Size("--part-size", "target size of each final part.parquet, e.g. 64MB (default 128MB)", "SIZE");

    public Option<bool> Overwrite { get; } = new("--overwrite")
    {
        Description = "replace the output of a finished job (files of the user's own beside it are kept)",
    };

    public Option<string?> FeatureStore { get; } = new("--feature-store")
    {
        Description = "where features are kept by image content and reused by later jobs (a folder or s3://bucket/prefix; default: Fruits:FeatureStore, else fruits-feature-store beside the output)",
        HelpName = "DIR",
    };

    public Option<bool> NoFeatureStore { get; } = new("--no-feature-store")
    {
        Description = "featurize every image; read and write no feature store",
    };

    public Option<string?> JobId { get; } = new("--job-id")
    {
        Description = "the job's id (default: job-<UTC time>-<random>); the same id and spec again resumes a job",
        HelpName = "ID",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Input);
        command.Options.Add(Output);
        command.Options.Add(Threshold);
        command.Options.Add(K);
        command.Options.Add(BatchSize);
        command.Options.Add(PartSize);
        command.Options.Add(Overwrite);
        command.Options.Add(FeatureStore);
        command.Options.Add(NoFeatureStore);
        command.Options.Add(JobId);
    }

    public string ReadJobId(ParseResult parse) =>
        parse.GetValue(JobId) ?? $"job-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..6]}";

    /// <summary>The spec, refused with a <see cref="UsageException"/> when it is invalid or its input folder is missing.</summary>
    public JobSpec Read(ParseResult parse)
    {
        var input = StorageLocation.Parse(parse.GetRequiredValue(Input));
        var output = StorageLocation.Parse(parse.GetRequiredValue(Output));
        var threshold = parse.GetValue(Threshold);
        var k = parse.GetValue(K);
        if (threshold is not null && k is not null)
        {
            throw new UsageException("give either --threshold or --k, not both");
        }

        var batchSize = parse.GetValue(BatchSize) ?? JobSpec.DefaultBatchSize;
        var featureStore = parse.GetValue(FeatureStore) is { } named ? StorageLocation.Parse(named).ToContract() : null;
        var spec = new JobSpec(input.ToContract(), output.ToContract(), new PcaSelectionData(threshold ?? PcaSelectionData.DefaultThreshold, k), batchSize, parse.GetValue(Overwrite),
            featureStore, parse.GetValue(NoFeatureStore), parse.GetValue(PartSize) ?? 0);
        try
        {
            spec.Validate();
            OutputGuard.Check(input, output);
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }

        if (!input.IsS3 && !Directory.Exists(input.Uri))
        {
            throw new UsageException($"input folder {input.Uri} does not exist");
        }

        return spec;
    }
}
