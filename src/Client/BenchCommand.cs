using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Fruits.Models;
using Fruits.Pipeline.Featurizing;
using Fruits.Pipeline.Imaging;
using Fruits.Pipeline.Output;
using Fruits.Pipeline.Statistics;
using Fruits.Pipeline.Storage;
using Microsoft.ML.OnnxRuntime;

namespace Fruits.Client;

/// <summary>
/// `fruits bench`: in ONE run on one machine, the ONNX ceiling, preprocessing alone, a naive per-image
/// baseline and full jobs through Orleans, with ratios. Figures in docs/BENCHMARKS.md come from here.
/// With --json the table lines go to stderr and stdout gets one JSON object with every figure.
/// </summary>
public static class BenchCommand
{
    public static async Task<int> RunAsync(CliArguments cli, bool json, CancellationToken cancellationToken)
    {
        var input = Path.GetFullPath(cli.String("input") ?? Path.Combine(ModelLocations.SharedRoot() ?? ".", "data", "fruits-360", "Test"));
        var subset = cli.Int("subset") ?? 2000;
        var seconds = cli.Double("seconds") ?? 20;
        var full = !cli.Has("no-full");
        var repeat = cli.Int("repeat-to") ?? 0;
        var report = cli.String("report");
        cli.RejectUnknown();

        var model = await new ModelProvisioner().EnsureAsync(ModelLocations.DefaultModelPath(), ModelLocations.DefaultWeightsDirectory(), cancellationToken);
        var files = Directory.EnumerateFiles(input, "*.*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".jpeg", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal).ToList();
        var lines = new List<string>
        {
            $"machine: {Environment.ProcessorCount} cores, {CpuModel()}, {Environment.OSVersion}, .NET {Environment.Version}",
            $"model: {model.Path} sha256 {model.Sha256}",
            $"input: {input} ({files.Count:N0} images)",
            "",
        };
        var text = json ? Console.Error : Console.Out;
        void Print(string line)
        {
            text.WriteLine(line);
            lines.Add(line);
        }

        foreach (var line in lines)
        {
            text.WriteLine(line);
        }

        var layouts = new List<object>();
        var jobResults = new List<object>();

        // (b) preprocessing alone, one thread.
        var sample = files.Take(500).Select(File.ReadAllBytes).ToList();
        var preprocessRate = Measure(seconds / 2, () =>
        {
            var preprocessor = new ImagePreprocessor(ImageLimits.Default);
            var tensor = new float[ImagePreprocessor.TensorLength];
            return (n: 0, step: (Func<int>)(() =>
            {
                foreach (var bytes in sample)
                {
                    preprocessor.Preprocess(bytes, tensor);
                }

                return sample.Count;
            }));
        });
        Print($"(b) preprocessing (decode + resize + scale), 1 thread: {preprocessRate:F1} images/s per core");

        // (a) the ceiling: bare ONNX Runtime over pre-decoded tensors, for several thread/batch layouts.
        var ceiling = 0.0;
        var best = "";
        Print("(a) bare ONNX Runtime over pre-decoded 224x224 tensors:");
        foreach (var (sessions, threads) in new[] { (1, 1), (1, Environment.ProcessorCount), (Environment.ProcessorCount, 1) }.Distinct())
        {
            foreach (var batch in new[] { 1, 16, 32 })
            {
                var rate = OnnxCeiling(model.Path, sessions, threads, batch, seconds / 3);
                Print($"    sessions={sessions} intra-op threads={threads} batch={batch}: {rate:F1} images/s");
                layouts.Add(new { sessions, intra_op_threads = threads, batch, images_per_second = rate });
                if (rate > ceiling)
                {
                    ceiling = rate;
                    best = $"sessions={sessions}, threads={threads}, batch={batch}";
                }
            }
        }

        Print($"    ceiling: {ceiling:F1} images/s ({best})");

        // Session levers, each on one session, one thread, batch 1, so only the lever changes.
        var levers = new List<object>();
        Print("(levers) one session, 1 thread, batch 1:");
        foreach (var (name, optimization, prepack) in new[]
        {
            ("graph optimization BASIC", GraphOptimizationLevel.ORT_ENABLE_BASIC, true),
            ("graph optimization EXTENDED", GraphOptimizationLevel.ORT_ENABLE_EXTENDED, true),
            ("graph optimization ALL (used)", GraphOptimizationLevel.ORT_ENABLE_ALL, true),
            ("graph optimization ALL, weight pre-packing off", GraphOptimizationLevel.ORT_ENABLE_ALL, false),
        })
        {
            var rate = OnnxCeiling(model.Path, 1, 1, 1, seconds / 4, optimization, prepack);
            Print($"    {name}: {rate:F1} images/s");
            levers.Add(new { lever = name, images_per_second = rate });
        }

        var allocated = HotPathAllocations(model.Path, sample);
        Print($"(alloc) managed bytes allocated per image, warm preprocessing + inference: {allocated:F1}");

        // Naive baseline: batch 1, fresh buffers and tensors for every image (the seed's per-image shape).
        var naive = NaiveBaseline(model.Path, files.Take(200).ToList());
        Print($"(naive) per-image pipeline, batch 1, no reuse, 1 thread: {naive:F1} images/s");

        // (c) full jobs through Orleans on the embedded silo, each in its own process for a clean peak RSS.
        var jobs = new List<(string Name, string Input, int Images)>();
        var work = Directory.CreateTempSubdirectory("fruits-bench").FullName;
        var subsetDir = Path.Combine(work, "subset");
        foreach (var file in files.Take(subset))
        {
            var target = Path.Combine(subsetDir, Path.GetFileName(Path.GetDirectoryName(file)!), Path.GetFileName(file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.CreateSymbolicLink(target, file);
        }

        jobs.Add(($"subset {Math.Min(subset, files.Count):N0}", subsetDir, Math.Min(subset, files.Count)));
        if (full)
        {
            jobs.Add(($"full {files.Count:N0}", input, files.Count));
        }

        if (repeat > files.Count)
        {
            var repeated = Path.Combine(work, "repeated");
            var copies = (int)Math.Ceiling(repeat / (double)files.Count);
            // Real folders of file links: the lister visits a linked folder once, however many links reach it.
            for (var c = 0; c < copies; c++)
            {
                foreach (var file in files)
                {
                    var target = Path.Combine(repeated, $"copy-{c}", Path.GetRelativePath(input, file));
                    Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                    File.CreateSymbolicLink(target, file);
                }
            }

            jobs.Add(($"repeated {copies * files.Count:N0}", repeated, copies * files.Count));
        }

        Print("(c) full job through Orleans, embedded silo:");
        Print("    | job | images | images/s | (c)/(a) | featurize phase / (a) | listing s | featurize s | pca fit s | projection s | write s | fit+projection share | peak RSS MB |");
        Print("    |---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var (name, jobInput, _) in jobs)
        {
            var result = await RunJobProcessAsync(jobInput, Path.Combine(work, "out-" + name.Split(' ')[0]), cancellationToken);
            var summary = result.RootElement.GetProperty("summary");
            var phases = summary.GetProperty("phase_seconds");
            double Phase(string p) => phases.TryGetProperty(p, out var v) ? v.GetDouble() : 0;
            var total = summary.GetProperty("total_seconds").GetDouble();
            var rate = summary.GetProperty("images_per_second").GetDouble();
            var rss = result.RootElement.GetProperty("peak_rss_mb").GetDouble();
            Print(string.Create(CultureInfo.InvariantCulture,
                $"    | {name} | {summary.GetProperty("images_succeeded").GetInt32():N0} | {rate:F1} | {rate / ceiling:F3} | {summary.GetProperty("images_succeeded").GetInt32() / Phase("featurize") / ceiling:F3} | {Phase("listing"):F1} | {Phase("featurize"):F1} | {Phase("pca_fit"):F1} | {Phase("projection"):F1} | {Phase("write"):F1} | {(Phase("pca_fit") + Phase("projection")) / total:P1} | {rss:F0} |"));
            jobResults.Add(new
            {
                job = name,
                images = summary.GetProperty("images_succeeded").GetInt32(),
                images_per_second = rate,
                ratio_to_ceiling = rate / ceiling,
                phase_seconds = phases.Clone(),
                total_seconds = total,
                peak_rss_mb = rss,
            });
        }

        // Stage by stage on the full job's stored features, one thread: what the job's phases are made of.
        object? stages = null;
        var fullOutput = Path.Combine(work, "out-full");
        if (full && Directory.Exists(fullOutput))
        {
            stages = await StageBenchmarksAsync(fullOutput, Print, cancellationToken);
        }

        Directory.Delete(work, recursive: true);
        if (report is not null)
        {
            await File.WriteAllLinesAsync(report, lines, cancellationToken);
        }

        if (json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(new
            {
                machine = new { cores = Environment.ProcessorCount, cpu = CpuModel(), os = Environment.OSVersion.ToString(), dotnet = Environment.Version.ToString() },
                model = new { path = model.Path, sha256 = model.Sha256 },
                input = new { path = input, images = files.Count },
                preprocess_images_per_second_per_core = preprocessRate,
                onnx = layouts,
                ceiling_images_per_second = ceiling,
                ceiling_layout = best,
                naive_images_per_second = naive,
                levers,
                hot_path_bytes_per_image = allocated,
                jobs = jobResults,
                stages,
            }));
        }

        return ExitCodes.Success;
    }

    private static async Task<object> StageBenchmarksAsync(string output, Action<string> print, CancellationToken cancellationToken)
    {
        var store = new LocalObjectStore(output);
        var parts = new List<string>();
        await foreach (var item in store.ListAsync(OutputLayout.FeaturesPrefix, cancellationToken))
        {
            parts.Add(item.Key);
        }

        print($"(stages) one thread, on the full job's {parts.Count} stored features parts:");
        var clock = Stopwatch.StartNew();
        foreach (var part in parts)
        {
            await ParquetParts.ReadAsync<FeatureRow>(store, part, cancellationToken);
        }

        var rowRead = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var tables = new List<FeatureTable>();
        foreach (var part in parts)
        {
            tables.Add(await FeatureParts.ReadAsync(store, part, cancellationToken));
        }

        var columnRead = clock.Elapsed.TotalSeconds;
        print($"    read all parts: row-object serializer {rowRead:F2} s, column by column (used) {columnRead:F2} s");

        var dimension = tables[0].Dimension;
        var buffer = new MomentStatisticsBuffer(dimension);
        var accumulator = new MomentAccumulator(dimension);
        var images = tables.Sum(t => t.Count);
        clock.Restart();
        foreach (var table in tables)
        {
            accumulator.Add(buffer.Compute(table.FeatureBlock, table.Count));
        }

        var statisticsMs = clock.Elapsed.TotalMilliseconds / images;
        print($"    batch statistics + merge: {statisticsMs:F3} ms per image");

        var statistics = accumulator.ToStatistics();
        clock.Restart();
        var model = new PcaFitter().Fit(statistics, new PcaSelection());
        var partialFit = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var covariance = PackedTriangle.ToFull(statistics.CoMoment, dimension, 1.0 / (statistics.Count - 1));
        var reference = PcaFitter.FullDecompositionVectors(covariance, dimension, model.K);
        var fullFit = clock.Elapsed.TotalSeconds;
        var worst = 0.0;
        for (var c = 0; c < model.K; c++)
        {
            var cosine = Math.Abs(model.Components.AsSpan(c * dimension, dimension).ToArray().Zip(reference.AsSpan(c * dimension, dimension).ToArray(), (a, b) => a * b).Sum());
            worst = Math.Max(worst, 1 - cosine);
        }

        print($"    PCA fit: all eigenvalues + {model.K} vectors (used) {partialFit:F2} s, MathNet full decomposition {fullFit:F2} s; worst 1 - |cos| between their vectors {worst:E1}");
        return new
        {
            parts = parts.Count,
            read_row_serializer_seconds = rowRead,
            read_columnar_seconds = columnRead,
            statistics_ms_per_image = statisticsMs,
            fit_partial_seconds = partialFit,
            fit_full_decomposition_seconds = fullFit,
            k = model.K,
            worst_one_minus_cosine = worst,
        };
    }

    private static double Measure(double seconds, Func<(int n, Func<int> step)> setup)
    {
        var (_, step) = setup();
        step(); // warm-up
        var images = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            images += step();
        }

        return images / clock.Elapsed.TotalSeconds;
    }

    private static double OnnxCeiling(
        string modelPath,
        int sessions,
        int threads,
        int batch,
        double seconds,
        GraphOptimizationLevel optimization = GraphOptimizationLevel.ORT_ENABLE_ALL,
        bool prepackWeights = true)
    {
        var featurizers = Enumerable.Range(0, sessions).Select(_ => new OnnxFeaturizer(modelPath, threads, batch, optimization, prepackWeights)).ToList();
        try
        {
            foreach (var featurizer in featurizers)
            {
                for (var i = 0; i < batch; i++)
                {
                    var slot = featurizer.InputSlot(i);
                    for (var j = 0; j < slot.Length; j++)
                    {
                        slot[j] = (j % 255) / 127.5f - 1f;
                    }
                }

                featurizer.Run(batch); // warm-up
            }

            var counts = new int[sessions];
            var clock = Stopwatch.StartNew();
            Parallel.For(0, sessions, new ParallelOptions { MaxDegreeOfParallelism = sessions }, s =>
            {
                while (clock.Elapsed.TotalSeconds < seconds)
                {
                    featurizers[s].Run(batch);
                    counts[s] += batch;
                }
            });
            return counts.Sum() / clock.Elapsed.TotalSeconds;
        }
        finally
        {
            featurizers.ForEach(f => f.Dispose());
        }
    }

    /// <summary>The featurizer's per-image path (decode, resize, scale into the bound slot, run) over real images, after one warm pass.</summary>
    private static double HotPathAllocations(string modelPath, List<byte[]> images)
    {
        using var featurizer = new OnnxFeaturizer(modelPath);
        var preprocessor = new ImagePreprocessor(ImageLimits.Default);
        var sample = images.Take(100).ToList();
        void Pass()
        {
            foreach (var bytes in sample)
            {
                preprocessor.Preprocess(bytes, featurizer.InputSlot(0));
                featurizer.Run(1);
            }
        }

        Pass();
        var before = GC.GetAllocatedBytesForCurrentThread();
        Pass();
        return (GC.GetAllocatedBytesForCurrentThread() - before) / (double)sample.Count;
    }

    private static double NaiveBaseline(string modelPath, List<string> files)
    {
        using var featurizer = new OnnxFeaturizer(modelPath, 1);
        var clock = Stopwatch.StartNew();
        foreach (var file in files)
        {
            var preprocessor = new ImagePreprocessor(ImageLimits.Default);
            var tensor = new float[ImagePreprocessor.TensorLength];
            preprocessor.Preprocess(File.ReadAllBytes(file), tensor);
            var features = new float[OnnxFeaturizer.FeatureLength];
            featurizer.Run(tensor, 1, features);
        }

        return files.Count / clock.Elapsed.TotalSeconds;
    }

    private static async Task<JsonDocument> RunJobProcessAsync(string input, string output, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
        {
            start.ArgumentList.Add(typeof(BenchCommand).Assembly.Location);
        }

        foreach (var arg in new[] { "run", "--input", input, "--output", output, "--overwrite", "--json" })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"bench job failed ({process.ExitCode}): {await stderr}");
        }

        return JsonDocument.Parse(await stdout);
    }

    private static string CpuModel()
    {
        try
        {
            return File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        }
        catch (IOException)
        {
            return "unknown CPU";
        }
    }
}
