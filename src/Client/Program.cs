using Fruits.Client;
using Fruits.Grains;
using Fruits.Grains.Interfaces;
using Spectre.Console;

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

var verbose = args.Contains("--verbose");
var jsonOutput = args.Contains("--json");
try
{
    var cli = CliArguments.Parse(args);
    return await RunAsync(cli, cancel.Token);
}
catch (UsageException e)
{
    return Fail(ExitCodes.BadRequest, e.Message);
}
catch (ClusterUnreachableException e)
{
    return Fail(ExitCodes.ClusterUnreachable, e.Message);
}
catch (OperationCanceledException)
{
    return Fail(ExitCodes.JobFailed, "cancelled (a submitted job keeps running on its cluster)");
}
catch (Exception e) when (e is ArgumentException or InvalidOperationException or Fruits.Pipeline.Storage.StorageException)
{
    return Fail(ExitCodes.BadRequest, e.Message.ReplaceLineEndings(" "), verbose ? e.ToString() : null);
}

// One line on stderr for people; with --json also one object on stdout, so a script always has JSON to parse.
int Fail(int exitCode, string message, string? detail = null)
{
    Console.Error.WriteLine($"fruits: {detail ?? message}");
    if (jsonOutput)
    {
        Console.Out.WriteLine(System.Text.Json.JsonSerializer.Serialize(new { error = message, exit_code = exitCode }));
    }

    return exitCode;
}

static async Task<int> RunAsync(CliArguments cli, CancellationToken cancellationToken)
{
    var json = cli.Has("json");
    var verbose = cli.Has("verbose");
    // Hidden: how often a redirected or --json watch prints a progress line (tests use a short one).
    var progressInterval = cli.Double("progress-interval") is { } seconds
        ? seconds > 0 ? TimeSpan.FromSeconds(seconds) : throw new UsageException($"--progress-interval must be positive, got {seconds}")
        : JobConsole.DefaultProgressInterval;
    var console = new JobConsole(AnsiConsole.Console, json, progressInterval);
    switch (cli.Command)
    {
        case "run":
        {
            var spec = JobOptions.Parse(cli);
            var jobId = cli.String("job-id") ?? JobOptions.NewJobId();
            var gateway = cli.Int("gateway-port");
            var clustering = cli.String("cluster");
            var dashboard = cli.Int("dashboard");
            cli.RejectUnknown();
            if (dashboard is not null && (gateway is not null || clustering is not null))
            {
                throw new UsageException("--dashboard is for the embedded silo; a running cluster's silos enable it with Fruits__Dashboard__Enabled=true");
            }

            await using var cluster = gateway is not null || clustering is not null
                ? await ClusterConnection.ConnectAsync(clustering, gateway, verbose, cancellationToken)
                : await ClusterConnection.StartEmbeddedAsync(verbose, dashboard, cancellationToken);
            if (dashboard is not null && !json)
            {
                Console.Error.WriteLine($"fruits: Orleans dashboard on http://127.0.0.1:{dashboard}/ while the job runs");
            }

            var job = cluster.Grains.GetGrain<IJobGrain>(jobId);
            await job.Start(spec);
            return console.Report(await console.WatchAsync(job, cancellationToken));
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

        case "jobs":
        {
            var gateway = cli.Int("gateway-port");
            var clustering = cli.String("cluster");
            cli.RejectUnknown();
            await using var cluster = gateway is not null || clustering is not null
                ? await ClusterConnection.ConnectAsync(clustering, gateway, verbose, cancellationToken)
                : await ClusterConnection.StartEmbeddedAsync(verbose, null, cancellationToken);
            return await JobsCommand.ListAsync(cluster.Grains, AnsiConsole.Console, json);
        }

        case "cancel":
        {
            var jobId = cli.Positionals.FirstOrDefault() ?? throw new UsageException("usage: fruits cancel JOB_ID");
            var gateway = cli.Int("gateway-port");
            var clustering = cli.String("cluster");
            cli.RejectUnknown();
            await using var cluster = gateway is not null || clustering is not null
                ? await ClusterConnection.ConnectAsync(clustering, gateway, verbose, cancellationToken)
                : await ClusterConnection.StartEmbeddedAsync(verbose, null, cancellationToken);
            var job = cluster.Grains.GetGrain<IJobGrain>(jobId);
            if ((await job.GetStatus()).Phase == JobPhase.NotStarted)
            {
                throw new UsageException($"unknown job id '{jobId}'");
            }

            var status = await job.Cancel();
            console.Report(status);
            return status.Phase is JobPhase.Cancelled or JobPhase.Completed ? ExitCodes.Success : ExitCodes.JobFailed;
        }

        case "bench":
            return await BenchCommand.RunAsync(cli, json, cancellationToken);

        case "inspect":
            return await InspectCommand.RunAsync(cli, AnsiConsole.Console, cancellationToken);

        case "export-csv":
            return await ExportCsvCommand.RunAsync(cli, json, cancellationToken);

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
                             [--overwrite] [--job-id ID] [--cluster localhost|dynamodb] [--gateway-port P] [--dashboard PORT]
                      runs a job; on an embedded local silo unless --cluster or --gateway-port names a running cluster;
                      --dashboard PORT serves the Orleans Dashboard of the embedded silo on http://127.0.0.1:PORT/
                  fruits submit --input DIR --output DIR [...]   start a job on a running cluster; prints its id
                  fruits status JOB [--gateway-port P]           one status line (or the summary)
                  fruits watch JOB [--gateway-port P]            live progress until the job ends
                  fruits jobs [--cluster dynamodb | --gateway-port P]
                      the cluster's jobs (id, input, output, phase, progress, submitted, finished); without a
                      cluster named, the jobs of this machine's embedded silo
                  fruits cancel JOB [--cluster dynamodb | --gateway-port P]
                      stops dispatching; stored batches are kept, so submitting the same spec resumes the job
                  fruits inspect OUTPUT [--label X] [--path P] [--rows N]
                      schema, row count, label counts and the first rows of a finished job
                  fruits export-csv OUTPUT FILE.csv             path, label, pca features (JSON), image (base64)
                  fruits bench [--input DIR] [--subset 2000] [--no-full] [--repeat-to 100000] [--seconds 20] [--probe-every 30] [--probe-seconds 4] [--report FILE]
                      ONNX ceiling, preprocessing, naive baseline and full jobs, with ratios (docs/BENCHMARKS.md)
                  fruits model build [--weights DIR] [--output PATH]
                      builds the ONNX featurizer from the raw weights (done automatically on first use)

                every command: --json (stdout = one JSON object; progress = JSON lines on stderr), --verbose
                run/watch progress: a live bar on a terminal, else a line on stderr every 5 s (images, img/s, ETA, failed)
                exit codes: 0 done, 1 job failed, 2 bad request, 3 cluster unreachable
                """);
            return ExitCodes.Success;

        default:
            throw new UsageException($"unknown command '{cli.Command}' (try: fruits help)");
    }
}
