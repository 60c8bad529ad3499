using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Fruits.Bench;

/// <summary>One measured job: `fruits run --json` in a child process, paused now and then to sample the ceiling.</summary>
public static class JobProcess
{
    /// <summary>
    /// Runs one job in a child process. While it featurizes, every <paramref name="probeEvery"/> seconds the
    /// child is stopped, <paramref name="sampleCeiling"/> measures the bare ONNX ceiling on the idle machine, and
    /// the child continues; the paused time is taken off the job's featurize and total times. The samples so
    /// spread over the job see the same drift of the machine's speed as the job itself.
    /// </summary>
    public static async Task<JobRun> RunAsync(
        string input,
        string output,
        Func<double> sampleCeiling,
        double probeEvery,
        CancellationToken cancellationToken,
        IReadOnlyList<string>? options = null)
    {
        var start = FruitsStartInfo();
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        foreach (var arg in new[] { "run", "--input", input, "--output", output, "--overwrite", "--json" }.Concat(options ?? []))
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = new StringBuilder();
        var featurizing = 0.0; // fraction of images done while the job is featurizing; -1 once it is past that phase
        var reader = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync(cancellationToken) is { } line)
            {
                stderr.AppendLine(line);
                if (FeaturizedFraction(line) is { } fraction)
                {
                    Volatile.Write(ref featurizing, fraction);
                }
            }
        }, cancellationToken);

        var samples = new List<double>();
        var paused = 0.0;
        var exited = process.WaitForExitAsync(cancellationToken);
        while (ProcessSignals.Supported && probeEvery > 0
            && await Task.WhenAny(exited, Task.Delay(TimeSpan.FromSeconds(probeEvery), cancellationToken)) != exited)
        {
            // Only well inside the featurize phase (progress lines come every few seconds), so the pause
            // belongs to that phase and not to the fit that follows it.
            var done = Volatile.Read(ref featurizing);
            if (done is <= 0 or >= 0.9)
            {
                continue;
            }

            var clock = Stopwatch.StartNew();
            ProcessSignals.Stop(process.Id);
            try
            {
                samples.Add(sampleCeiling());
            }
            finally
            {
                ProcessSignals.Continue(process.Id);
            }

            paused += clock.Elapsed.TotalSeconds;
        }

        await exited;
        await reader;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"bench job failed ({process.ExitCode}): {stderr}");
        }

        return new JobRun(JsonDocument.Parse(await stdout), samples, paused);
    }

    /// <summary>
    /// The `fruits` executable that the build puts beside this one, so the job runs with the product's own
    /// runtime settings; without an apphost (a build that skipped it), its assembly through the dotnet host.
    /// </summary>
    public static ProcessStartInfo FruitsStartInfo()
    {
        var apphost = Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "fruits.exe" : "fruits");
        if (File.Exists(apphost))
        {
            return new ProcessStartInfo(apphost);
        }

        var start = new ProcessStartInfo("dotnet");
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "fruits.dll"));
        return start;
    }

    /// <summary>From a `run --json` progress line: the fraction featurized, 0 before that phase, -1 after it; null for other lines.</summary>
    private static double? FeaturizedFraction(string line)
    {
        if (!line.StartsWith('{'))
        {
            return null;
        }

        using var document = JsonDocument.Parse(line);
        var progress = document.RootElement;
        if (!progress.TryGetProperty("phase", out var phase) || !progress.TryGetProperty("images_total", out var total))
        {
            return null;
        }

        return phase.GetString() switch
        {
            "Featurizing" when total.GetInt32() > 0 => progress.GetProperty("images_done").GetInt32() / (double)total.GetInt32(),
            "NotStarted" or "Listing" or "Featurizing" => 0,
            _ => -1,
        };
    }
}
