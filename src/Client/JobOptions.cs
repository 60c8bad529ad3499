using Fruits.Grains;
using Fruits.Grains.Interfaces;
using Fruits.Pipeline.Output;
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

        var batchSize = args.Int("batch-size") ?? JobSpec.DefaultBatchSize;
        var spec = new JobSpec(input.ToContract(), output.ToContract(), new PcaSelectionData(threshold ?? PcaSelectionData.DefaultThreshold, k), batchSize, args.Has("overwrite"));
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

    public static string NewJobId() => $"job-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..6]}";
}
