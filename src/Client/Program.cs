using Fruits.Client;
using Fruits.Grains;
using Spectre.Console;

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

var verbose = args.Contains("--verbose");
try
{
    var cli = CliArguments.Parse(args);
    return await RunAsync(cli, cancel.Token);
}
catch (UsageException e)
{
    Console.Error.WriteLine($"fruits: {e.Message}");
    return ExitCodes.BadRequest;
}
catch (ClusterUnreachableException e)
{
    Console.Error.WriteLine($"fruits: {e.Message}");
    return ExitCodes.ClusterUnreachable;
}
catch (OperationCanceledException)
{
    Console.Error.WriteLine("fruits: cancelled (a submitted job keeps running on its cluster)");
    return ExitCodes.JobFailed;
}
catch (Exception e) when (e is ArgumentException or InvalidOperationException or Fruits.Pipeline.Storage.StorageException)
{
    Console.Error.WriteLine(verbose ? $"fruits: {e}" : $"fruits: {e.Message.ReplaceLineEndings(" ")}");
    return ExitCodes.BadRequest;
}

static async Task<int> RunAsync(CliArguments cli, CancellationToken cancellationToken)
{
    var json = cli.Has("json");
    var verbose = cli.Has("verbose");
    var console = new JobConsole(AnsiConsole.Console, json);
    switch (cli.Command)
    {
        case "run":
        {
            var spec = JobOptions.Parse(cli);
            var jobId = cli.String("job-id") ?? JobOptions.NewJobId();
            var gateway = cli.Int("gateway-port");
            var clustering = cli.String("cluster");
            cli.RejectUnknown();
            await using var cluster = gateway is not null || clustering is not null
                ? await ClusterConnection.ConnectAsync(clustering, gateway, verbose, cancellationToken)
                : await ClusterConnection.StartEmbeddedAsync(verbose, cancellationToken);
            var job = cluster.Grains.GetGrain<IJobGrain>(jobId);
            await job.Start(spec);
            return console.Report(await console.WatchAsync(job, cancellationToken, spec));
        }

        case "submit":
        {
            var spec = JobOptions.Parse(cli);
            var jobId = cli.String("job-id") ?? JobOptions.NewJobId();
            var gateway = cli.Int("gateway-port");
            var clustering = cli.String("cluster");
            cli.RejectUnknown();
            await using var cluster = await ClusterConnection.ConnectAsync(clustering, gateway, verbose, cancellationToken);
            var status = await cluster.Grains.GetGrain<IJobGrain>(jobId).Start(spec);
            Console.WriteLine(json ? System.Text.Json.JsonSerializer.Serialize(new { job_id = jobId, phase = status.Phase.ToString() }) : jobId);
            return ExitCodes.Success;
        }

        case "status":
        case "watch":
        {
            var jobId = cli.Positionals.FirstOrDefault() ?? throw new UsageException($"usage: fruits {cli.Command} JOB_ID");
            var gateway = cli.Int("gateway-port");
            var clustering = cli.String("cluster");
            cli.RejectUnknown();
            await using var cluster = await ClusterConnection.ConnectAsync(clustering, gateway, verbose, cancellationToken);
            var job = cluster.Grains.GetGrain<IJobGrain>(jobId);
            var status = await job.GetStatus();
            if (status.Phase == JobPhase.NotStarted)
            {
                throw new UsageException($"unknown job id '{jobId}'");
            }

            return console.Report(cli.Command == "watch" ? await console.WatchAsync(job, cancellationToken) : status);
        }

        case "bench":
            return await BenchCommand.RunAsync(cli, cancellationToken);

        case "inspect":
            return await InspectCommand.RunAsync(cli, AnsiConsole.Console, cancellationToken);

        case "export-csv":
            return await ExportCsvCommand.RunAsync(cli, cancellationToken);

        case "model":
        {
            if (cli.Positionals.FirstOrDefault() != "build")
            {
                throw new UsageException("usage: fruits model build [--weights DIR] [--output PATH]");
            }

            var output = cli.String("output") ?? Fruits.Models.ModelLocations.DefaultModelPath();
            var weights = cli.String("weights") ?? Fruits.Models.ModelLocations.DefaultWeightsDirectory();
            cli.RejectUnknown();
            var info = await new Fruits.Models.ModelProvisioner().EnsureAsync(output, weights, cancellationToken);
            Console.WriteLine(json ? System.Text.Json.JsonSerializer.Serialize(new { path = info.Path, sha256 = info.Sha256 }) : $"{info.Path} sha256 {info.Sha256}");
            return ExitCodes.Success;
        }

        case "help":
        case "--help":
            Console.WriteLine("""
                fruits: MobileNetV2 features + PCA for folders of images, on Orleans

                  fruits run --input DIR --output DIR [--threshold 0.75 | --k N] [--batch-size 64]
                             [--overwrite] [--job-id ID] [--cluster localhost|dynamodb] [--gateway-port P] [--json] [--verbose]
                      runs a job; on an embedded local silo unless --cluster or --gateway-port names a running cluster
                  fruits submit --input DIR --output DIR [...]   start a job on a running cluster; prints its id
                  fruits status JOB [--gateway-port P] [--json]  one status line (or the summary)
                  fruits watch JOB [--gateway-port P]            live progress until the job ends
                  fruits inspect OUTPUT [--label X] [--path P] [--rows N] [--json]
                      schema, row count, label counts and the first rows of a finished job
                  fruits export-csv OUTPUT FILE.csv             path, label, pca features (JSON), image (base64)
                  fruits bench [--input DIR] [--subset 2000] [--no-full] [--repeat-to 100000] [--seconds 20] [--report FILE]
                      ONNX ceiling, preprocessing, naive baseline and full jobs, with ratios (docs/BENCHMARKS.md)
                  fruits model build [--weights DIR] [--output PATH]
                      builds the ONNX featurizer from the raw weights (done automatically on first use)

                exit codes: 0 done, 1 job failed, 2 bad request, 3 cluster unreachable
                """);
            return ExitCodes.Success;

        default:
            throw new UsageException($"unknown command '{cli.Command}' (try: fruits help)");
    }
}
