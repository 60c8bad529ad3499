using System.CommandLine;
using System.Globalization;
using Fruits.Grains.Interfaces;
using Fruits.Pipeline.Storage;
using Fruits.Silo;

namespace Fruits.Client.Commands;

/// <summary>`fruits serve OUTPUT`: the classifier's endpoint and page on an embedded silo, until Ctrl+C.</summary>
public sealed class ServeCommand : FruitsCommand
{
    private readonly Argument<string> _output = new("OUTPUT") { Description = "a finished job's output folder or s3://bucket/prefix" };
    private readonly Option<int?> _port = NumberOptions.Integer("--port", "the HTTP port on 127.0.0.1 (default 8081)", "PORT");

    public ServeCommand(GlobalOptions global)
        : base("serve", "serve POST /v1/classify and a page to try photos on http://127.0.0.1:PORT/, on an embedded local silo, until Ctrl+C", global)
    {
        Arguments.Add(_output);
        Options.Add(_port);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parse, CliSettings settings, CancellationToken cancellationToken)
    {
        var output = StorageLocation.Parse(parse.GetRequiredValue(_output)).Uri;
        var port = parse.GetValue(_port) ?? new ClassifyHostingOptions().Port;
        if (port is < 1 or > 65535)
        {
            throw new UsageException($"--port must be within [1, 65535], got {port}");
        }

        await using var cluster = await ClusterConnection.StartEmbeddedAsync(settings.Verbose, null, cancellationToken, new Dictionary<string, string?>
        {
            [$"{ClassifyHostingOptions.Section}:{nameof(ClassifyHostingOptions.Enabled)}"] = "true",
            [$"{ClassifyHostingOptions.Section}:{nameof(ClassifyHostingOptions.Port)}"] = port.ToString(CultureInfo.InvariantCulture),
            [$"{ClassifyHostingOptions.Section}:{nameof(ClassifyHostingOptions.Output)}"] = output,
        });

        // Loaded before the first request, so a wrong output is one line now rather than a 404 later.
        var summary = await cluster.Grains.GetGrain<IOutputIndexGrain>(output).Open();
        if (!summary.Found)
        {
            throw new UsageException(summary.Problem!);
        }

        var url = $"http://127.0.0.1:{port}/";
        if (settings.Json)
        {
            Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(new { url, output, rows = summary.Rows, dimensions = summary.Dimensions, shards = summary.Shards, bytes_per_row = Math.Round(summary.BytesPerRow, 1) }));
        }
        else
        {
            Console.Error.WriteLine($"fruits: classifying against {output} ({summary.Rows:N0} images, {summary.Labels} labels, {summary.Dimensions} dimensions, {summary.BytesPerRow:F0} bytes a row) on {url} (Ctrl+C stops)");
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, cluster.Stopping);
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException)
        {
        }

        return ExitCodes.Success;
    }
}
