using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Fruits.Bench;

/// <summary>
/// (reuse) The feature store and refit, as ratios within one run: cold jobs of the input with the store off and on, the
/// warm rerun, the input plus 1,000 new images against a cold job of those 1,000 alone, `fruits refit`, a second cold
/// job with the store off (with the first, the cold reference), and the store's cost in cold jobs of a third of the
/// input.
/// </summary>
/// <remarks>
/// The store's cost is a percent or two of a cold job, well inside how much two cold jobs of the full input a few
/// minutes apart differ on a shared machine. So it is measured on jobs a third as long, in
/// <see cref="StoreCostRounds"/> rounds of off, on, on, off: steady drift cancels within each round, and each pair of
/// jobs runs closer together in time. The rounds of one run still differ by several percent, more than the target's
/// margin, so the figure is the ratio of the featurize phases summed over many of them. The jobs of a few seconds (the
/// warm rerun, the 1,000 new images alone and with the input, the refit) each move by a tenth with whatever else the
/// machine does at that moment, and by a third or more in a slow spell of a minute or two; each runs several times
/// (<see cref="WarmReruns"/>, <see cref="Repeats"/>), the repeats spread over the store-cost rounds, and its median
/// stands for it.
/// The full-input jobs run over one copy of the input, and the 1,000 new images arrive in that folder's label folders,
/// as new photos do: the images already there keep their paths, so the store finds them by their listed
/// version without reading them, in the warm reruns and in the job with the new images alike.
/// </remarks>
public static class ReuseBenchmarks
{
    private const int NewImages = 1000;
    private const int WarmReruns = 5;
    private const int Repeats = 3;
    private const int StoreCostRounds = 6;

    public static async Task<object> RunAsync(string input, IReadOnlyList<string> files, string work, Action<string> print, CancellationToken cancellationToken)
    {
        var store = Path.Combine(work, "feature-store");

        // New images: copies of images of the input with bytes appended after the JPEG's end, which decoders ignore
        // and the content hash does not: they cost what 1,000 never-seen photos cost.
        var fresh = Path.Combine(work, "new-images");
        foreach (var (file, i) in files.Where((_, i) => i % Math.Max(1, files.Count / NewImages) == 0).Take(NewImages).Select((f, i) => (f, i)))
        {
            var target = Path.Combine(fresh, Path.GetFileName(Path.GetDirectoryName(file)!), $"new-{i:D4}.jpg");
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            await File.WriteAllBytesAsync(target, [.. await File.ReadAllBytesAsync(file, cancellationToken), .. BitConverter.GetBytes(i)], cancellationToken);
        }

        // The folder every full-input job reads: a copy of the input, into whose label folders the new images are
        // copied for the jobs that have them, and go again after them. A copy, not links to the input: listing a
        // folder of links resolves each link, a cost no real folder of photos has, and a large share of what a warm
        // rerun spends listing.
        var photos = Path.Combine(work, "photos");
        foreach (var file in files)
        {
            var target = Path.Combine(photos, Path.GetRelativePath(input, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        var arrivals = Directory.GetFiles(fresh, "*.jpg", SearchOption.AllDirectories).Select(f => (From: f, To: Path.Combine(photos, Path.GetRelativePath(fresh, f)))).ToList();

        // A third of the input (every third image), copied too, for the store-cost rounds.
        var third = Path.Combine(work, "input-third");
        foreach (var file in files.Where((_, i) => i % 3 == 0))
        {
            var target = Path.Combine(third, Path.GetRelativePath(input, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        await SyncAsync(cancellationToken);

        // The full input off, on, then everything measured against the cold reference, then off again: the reference is
        // the mean of both "off" jobs, which bracket in time the warm jobs and the refit compared with it, so drift over
        // those minutes cancels. The "on" job fills the store the warm jobs read.
        var off1 = await JobAsync("cold, store off (1)", photos, Path.Combine(work, "reuse-off-1"), ["--no-feature-store"], print, cancellationToken);
        var on1 = await JobAsync("cold, store on", photos, Path.Combine(work, "reuse-on"), ["--feature-store", store], print, cancellationToken);

        // Rounds: the store's cost (off, on, on, off over the third, each "on" into an empty store of its own), then
        // some of the short jobs, each kind's repeats spread evenly over the rounds. A spell of a slow machine a minute
        // or two long then slows one repeat of each kind, which the median sets aside, not all of them.
        var costJobs = new List<(ReuseJob Job, bool StoreOn)>();
        var warmRuns = new List<ReuseJob>();
        var newOnlyRuns = new List<ReuseJob>();
        var plusNewRuns = new List<ReuseJob>();
        var refitRuns = new List<(double Seconds, Dictionary<string, double> Phases)>();
        for (var round = 1; round <= StoreCostRounds; round++)
        {
            foreach (var (on, slot) in new[] { (false, 1), (true, 1), (true, 2), (false, 2) })
            {
                var name = $"third, round {round}, store {(on ? "on" : "off")} ({slot})";
                var folder = Path.Combine(work, $"reuse-third-{round}-{(on ? "on" : "off")}-{slot}");
                string[] options = on ? ["--feature-store", folder + "-store"] : ["--no-feature-store"];
                costJobs.Add((await JobAsync(name, third, folder, options, print, cancellationToken), on));
            }

            if (InRound(round, WarmReruns))
            {
                warmRuns.Add(await JobAsync($"warm rerun ({warmRuns.Count + 1})", photos, Path.Combine(work, "reuse-warm"), ["--feature-store", store], print, cancellationToken));
            }

            if (!InRound(round, Repeats))
            {
                continue;
            }

            var repeat = newOnlyRuns.Count + 1;
            newOnlyRuns.Add(await JobAsync($"{arrivals.Count:N0} new, cold ({repeat})", fresh, Path.Combine(work, "reuse-new"), ["--no-feature-store"], print, cancellationToken));

            // The job with the new images gets a copy of the store as the warm reruns leave it: it stores the new
            // images' features, which the next such job would otherwise find.
            foreach (var (from, to) in arrivals)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(to)!);
                File.Copy(from, to);
            }

            var copy = Path.Combine(work, $"feature-store-grown-{repeat}");
            CopyDirectory(store, copy);
            await SyncAsync(cancellationToken);
            plusNewRuns.Add(await JobAsync($"input + {arrivals.Count:N0} new, warm ({repeat})", photos, Path.Combine(work, "reuse-grown"), ["--feature-store", copy], print, cancellationToken));
            Directory.Delete(copy, recursive: true);
            foreach (var (_, to) in arrivals)
            {
                File.Delete(to);
            }

            var target = Path.Combine(work, $"reuse-refit-{repeat}");
            refitRuns.Add(await RefitAsync(Path.Combine(work, "reuse-on"), target, cancellationToken));
            print(string.Create(CultureInfo.InvariantCulture, $"    refit --k 100 of the cold output ({repeat}): {refitRuns[^1].Seconds:F2} s (process wall), {Describe(refitRuns[^1].Phases)}"));
            Directory.Delete(target, recursive: true);
        }

        var off2 = await JobAsync("cold, store off (2)", photos, Path.Combine(work, "reuse-off-2"), ["--no-feature-store"], print, cancellationToken);
        var cold = (off1.Total + off2.Total) / 2;

        var warm = Median(warmRuns);
        var newOnly = Median(newOnlyRuns);
        var plusNew = Median(plusNewRuns);
        var (refit, refitPhases) = refitRuns.OrderBy(r => r.Seconds).ElementAt(refitRuns.Count / 2);
        print(string.Create(CultureInfo.InvariantCulture, $"    medians: warm rerun (of {warmRuns.Count}) job {warm.Total:F2} s; {arrivals.Count:N0} new, cold: job {newOnly.Total:F2} s; input + {arrivals.Count:N0} new: job {plusNew.Total:F2} s; refit {refit:F2} s"));

        double Featurize(IEnumerable<(ReuseJob Job, bool StoreOn)> jobs, bool on) => jobs.Where(j => j.StoreOn == on).Sum(j => j.Job.Featurize);
        var rounds = costJobs.Chunk(4).Select(r => Featurize(r, true) / Featurize(r, false)).ToList();

        var ratios = new
        {
            cold_seconds = cold,
            warm_over_cold = warm.Total / cold,
            refit_over_cold = refit / cold,
            featurize_store_on_over_off = Featurize(costJobs, true) / Featurize(costJobs, false),
            plus_new_over_new_cold_plus_warm = plusNew.Total / (newOnly.Total + warm.Total),
        };
        print(string.Create(CultureInfo.InvariantCulture, $"    cold reference (mean of the two store-off jobs): {cold:F2} s; full input, store on / mean of off featurize: {on1.Featurize / ((off1.Featurize + off2.Featurize) / 2):F3}; third, store on / off featurize by round: {string.Join(", ", rounds.Select(r => r.ToString("F3", CultureInfo.InvariantCulture)))}"));
        print("    | measure | figure | target |");
        print("    |---|---|---|");
        print(string.Create(CultureInfo.InvariantCulture, $"    | warm rerun (median of {WarmReruns}) / cold (job wall) | {ratios.warm_over_cold:P2} | <= 5 % |"));
        print(string.Create(CultureInfo.InvariantCulture, $"    | refit (median of {Repeats}) / cold | {ratios.refit_over_cold:P2} | <= 3 % |"));
        print(string.Create(CultureInfo.InvariantCulture, $"    | featurize phase, store on / off (cold, a third of the input, {StoreCostRounds} rounds of off-on-on-off) | {ratios.featurize_store_on_over_off:F3} | <= 1.02 |"));
        print(string.Create(CultureInfo.InvariantCulture, $"    | input + {arrivals.Count:N0} new (warm) / ({arrivals.Count:N0} new cold + warm rerun median) | {ratios.plus_new_over_new_cold_plus_warm:F3} | <= 1 |"));
        return new { jobs = new[] { off1, on1, off2 }.Concat(costJobs.Select(j => j.Job)).Concat(warmRuns).Concat(newOnlyRuns).Concat(plusNewRuns).ToArray(), warm_median_seconds = warm.Total, refit_seconds = refit, refit_phases = refitPhases, refit_runs = refitRuns.Select(r => new { seconds = r.Seconds, phases = r.Phases }).ToArray(), ratios };
    }

    /// <summary>Whether a kind of job repeated <paramref name="repeats"/> times runs in <paramref name="round"/>: evenly spread, the last round included.</summary>
    private static bool InRound(int round, int repeats) => round * repeats / StoreCostRounds > (round - 1) * repeats / StoreCostRounds;

    private static ReuseJob Median(List<ReuseJob> jobs) => jobs.OrderBy(j => j.Total).ElementAt(jobs.Count / 2);

    private static void CopyDirectory(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    /// <summary>
    /// Writes back what the copies left in the page cache (`sync`), so that the job that runs next does not pay for
    /// writing back a hundred megabytes of copy in its own syncs. Where there is no `sync`, the copies settle by
    /// themselves, a little more slowly.
    /// </summary>
    private static async Task SyncAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var sync = Process.Start(new ProcessStartInfo("sync") { UseShellExecute = false });
            if (sync is not null)
            {
                await sync.WaitForExitAsync(cancellationToken);
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No sync command on this machine.
        }
    }

    private static async Task<ReuseJob> JobAsync(string name, string input, string output, string[] options, Action<string> print, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var run = await JobProcess.RunAsync(input, output, () => 0, 0, cancellationToken, options);
        var wall = clock.Elapsed.TotalSeconds;
        var summary = run.Result.RootElement.GetProperty("summary");
        var phases = summary.GetProperty("phase_seconds");
        var job = new ReuseJob(
            name,
            summary.GetProperty("images_succeeded").GetInt32(),
            summary.GetProperty("images_featurized").GetInt32(),
            summary.GetProperty("images_reused").GetInt32(),
            summary.GetProperty("total_seconds").GetDouble(),
            phases.TryGetProperty("featurize", out var featurize) ? featurize.GetDouble() : 0,
            wall,
            Phases(phases));
        print(string.Create(CultureInfo.InvariantCulture,
            $"    {name}: {job.Images:N0} images ({job.Featurized:N0} featurized, {job.Reused:N0} reused), job {job.Total:F2} s, featurize {job.Featurize:F2} s, process wall {job.Wall:F2} s; {Describe(job.Phases)}"));
        return job;
    }

    /// <summary>A summary's phase_seconds, in the order the job ran them: where a warm rerun's fixed cost goes.</summary>
    private static Dictionary<string, double> Phases(JsonElement phases) =>
        phases.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble(), StringComparer.Ordinal);

    private static string Describe(IReadOnlyDictionary<string, double> phases) =>
        "phases " + string.Join(", ", phases.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key} {p.Value:F2}")));

    private static async Task<(double Seconds, Dictionary<string, double> Phases)> RefitAsync(string output, string target, CancellationToken cancellationToken)
    {
        var start = JobProcess.FruitsStartInfo();
        foreach (var arg in new[] { "refit", output, "--k", "100", "--output", target, "--json" })
        {
            start.ArgumentList.Add(arg);
        }

        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"refit failed ({process.ExitCode}): {await stderr}");
        }

        var seconds = clock.Elapsed.TotalSeconds;
        using var result = JsonDocument.Parse(await stdout);
        return (seconds, Phases(result.RootElement.GetProperty("phase_seconds")));
    }

    private sealed record ReuseJob(string Name, int Images, int Featurized, int Reused, double Total, double Featurize, double Wall, Dictionary<string, double> Phases);
}
