using Fruits.Grains;
using Fruits.Pipeline.Statistics;
using Fruits.Pipeline.Storage;

namespace Fruits.Client;

/// <summary>Turns run/submit options into a validated <see cref="JobSpec"/>.</summary>
public static class JobOptions
{
    public static JobSpec Parse(CliArguments args)
    {
        var input = StorageLocation.Parse(args.Required("input"));
        var output = StorageLocation.Parse(args.Required("output"));
        var threshold = args.Double("threshold");
        var k = args.Int("k");
        if (threshold is not null && k is not null)
        {
            throw new UsageException("give either --threshold or --k, not both");
        }

        if (threshold is { } t && t is not (> 0 and <= 1))
        {
            throw new UsageException($"--threshold must be within (0, 1], got {t}");
        }

        if (k is { } fixedK && fixedK is < 1 or > 1280)
        {
            throw new UsageException($"--k must be within [1, 1280], got {fixedK}");
        }

        var batchSize = args.Int("batch-size") ?? JobSpec.DefaultBatchSize;
        if (batchSize <= 0)
        {
            throw new UsageException($"--batch-size must be positive, got {batchSize}");
        }

        if (!input.IsS3 && !Directory.Exists(input.Uri))
        {
            throw new UsageException($"input folder {input.Uri} does not exist");
        }

        return new JobSpec(input, output, new PcaSelection(threshold ?? 0.75, k), batchSize, args.Has("overwrite"));
    }

    public static string NewJobId() => $"job-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..6]}";
}
