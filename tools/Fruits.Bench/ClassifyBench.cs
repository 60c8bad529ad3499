using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Fruits.Pipeline.Classifying;
using Fruits.Pipeline.Featurizing;
using Fruits.Pipeline.Imaging;
using Fruits.Pipeline.Output;
using Fruits.Pipeline.Storage;

namespace Fruits.Bench;

/// <summary>
/// `fruits-bench --classify OUTPUT`: the classifier against bare inference, in one run. One photo over HTTP
/// (sequential requests to `fruits serve`) against one bare ONNX run of a pre-decoded tensor; 8 concurrent clients
/// against the ONNX ceiling (one single-threaded session per core), in rounds that alternate with ceiling samples;
/// and exact search alone over the output's rows
/// repeated to 1,000,000, query by query against a plain scan of every whole row, whose answers it must equal.
/// </summary>
public static class ClassifyBench
{
    public const int SearchRows = 1_000_000;
    public const int Clients = 8;
    public const int ConcurrentRounds = 4;

    public static async Task<int> RunAsync(string output, string modelPath, double seconds, string? report, bool json, CancellationToken cancellationToken)
    {
        var text = json ? Console.Error : Console.Out;
        var lines = new List<string>();
        void Print(string line)
        {
            text.WriteLine(line);
            lines.Add(line);
        }

        var location = StorageLocation.Parse(output);
        var store = new LocalObjectStore(location.Uri);
        var rows = new List<OutputRow>();
        await foreach (var row in new OutputReader(store).RowsAsync(cancellationToken))
        {
            rows.Add(row);
        }

        var photos = rows.Take(200).Select(r => File.ReadAllBytes(r.Path)).ToList();
        Print($"classify: {output} ({rows.Count:N0} rows, k = {rows[0].PcaFeatures.Length}); {Environment.ProcessorCount} cores");

        // Bare inference of one pre-decoded image, one session, one thread: what a request cannot avoid.
        using var featurizer = new OnnxFeaturizer(modelPath);
        new ImagePreprocessor(ImageLimits.Default).Preprocess(photos[0], featurizer.InputSlot(0));
        var onnx = Time(() => featurizer.Run(1), warmup: 20, seconds / 4);
        Print($"    bare ONNX single image: p50 {onnx.P50:F2} ms, p99 {onnx.P99:F2} ms ({onnx.Count} runs)");
        // Kept for the whole run: the ceiling is sampled again between the concurrent clients' rounds below.
        using var probe = new CeilingProbe(modelPath, new OnnxLayout(Environment.ProcessorCount, 1, 1));
        var firstCeiling = probe.Measure(seconds / 8);
        Print($"    ONNX ceiling ({Environment.ProcessorCount} sessions x 1 thread): {firstCeiling:F1} images/s");

        var port = FreePort();
        using var serve = Process.Start(new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "fruits"))
        {
            ArgumentList = { "serve", location.Uri, "--port", port.ToString(CultureInfo.InvariantCulture) },
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        })!;
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromMinutes(1) };
            await WaitForServeAsync(http, serve, cancellationToken);
            var next = 0;
            async Task Classify()
            {
                var photo = photos[Interlocked.Increment(ref next) % photos.Count];
                using var response = await http.PostAsync("v1/classify?top=5", new ByteArrayContent(photo), cancellationToken);
                response.EnsureSuccessStatusCode();
                await response.Content.ReadAsByteArrayAsync(cancellationToken);
            }

            // The machine's speed drifts within seconds, so each request takes turns with one bare inference and the
            // requests are set against the inferences timed between them. Those run on caches the request has just used,
            // so they are slower than the back-to-back figure above; both ratios are printed.
            var (single, alongside) = await TimeAlternatelyAsync(Classify, () => featurizer.Run(1), warmup: 20, seconds / 3);
            Print($"    HTTP single photo, sequential, each request alternating with one bare ONNX run (p50 {alongside.P50:F2} ms): p50 {single.P50:F2} ms ({single.P50 / alongside.P50:F2}x bare ONNX), p99 {single.P99:F2} ms ({single.P99 / alongside.P50:F2}x) over {single.Count} requests; against the back-to-back bare run above: p50 {single.P50 / onnx.P50:F2}x, p99 {single.P99 / onnx.P50:F2}x");

            // The machine's speed drifts by more than the effect measured, so the clients and the ceiling take turns:
            // a ceiling sample, then rounds of clients each followed by another sample; each round is set against the mean
            // of the samples either side, the whole against the mean of all samples.
            var ceilings = new List<double> { probe.Measure(seconds / 8 / ConcurrentRounds) };
            var rounds = new List<(double Throughput, double Ratio)>();
            var done = 0;
            var clientSeconds = 0.0;
            for (var round = 0; round < ConcurrentRounds; round++)
            {
                var photosBefore = done;
                var clock = Stopwatch.StartNew();
                await Task.WhenAll(Enumerable.Range(0, Clients).Select(async _ =>
                {
                    while (clock.Elapsed.TotalSeconds < seconds / 4 / ConcurrentRounds)
                    {
                        await Classify();
                        Interlocked.Increment(ref done);
                    }
                }));
                clientSeconds += clock.Elapsed.TotalSeconds;
                var roundThroughput = (done - photosBefore) / clock.Elapsed.TotalSeconds;
                ceilings.Add(probe.Measure(seconds / 8 / ConcurrentRounds));
                rounds.Add((roundThroughput, roundThroughput / ((ceilings[^2] + ceilings[^1]) / 2)));
            }

            var ceiling = ceilings.Average();
            var throughput = done / clientSeconds;
            Print($"    ONNX ceiling samples around the rounds: {string.Join(", ", ceilings.Select(c => c.ToString("F1", CultureInfo.InvariantCulture)))} images/s (mean {ceiling:F1})");
            Print($"    HTTP {Clients} concurrent clients: {throughput:F1} photos/s ({throughput / ceiling:F3} of the mean ONNX ceiling); rounds: {string.Join(", ", rounds.Select(r => $"{r.Throughput:F1} ({r.Ratio:F3})"))}");

            // Search alone: the output's rows repeated to a million, queried with the rows' own features slightly moved.
            var k = rows[0].PcaFeatures.Length;
            var matrix = new float[SearchRows * k];
            for (var r = 0; r < SearchRows; r++)
            {
                rows[r % rows.Count].PcaFeatures.CopyTo(matrix, r * k);
            }

            var index = new ExactIndex(k, matrix, Enumerable.Range(0, SearchRows).Select(r => rows[r % rows.Count].Label).ToList(), Enumerable.Range(0, SearchRows).Select(r => rows[r % rows.Count].Path + "#" + r.ToString(CultureInfo.InvariantCulture)).ToList());
            var random = new Random(1);
            var queries = Enumerable.Range(0, 200).Select(i => rows[i % rows.Count].PcaFeatures.Select(v => v + (float)(random.NextDouble() - 0.5) * 0.1f).ToArray()).ToList();
            // Each query also goes to a plain scan of every whole row (the search before rows were kept in blocks),
            // alternately, so both see the same machine; the answers must agree row for row.
            var width = System.Numerics.Vector<float>.Count;
            var stride = (k + width - 1) / width * width;
            var whole = new float[(long)SearchRows * stride];
            for (var r = 0; r < SearchRows; r++)
            {
                matrix.AsSpan(r * k, k).CopyTo(whole.AsSpan(r * stride));
            }

            NearestList WholeRows(float[] query)
            {
                var padded = new float[stride];
                query.CopyTo(padded, 0);
                var slices = Math.Min(Environment.ProcessorCount, SearchRows / (ExactIndex.ParallelRows / 4));
                var found = new NearestList[slices];
                Parallel.For(0, slices, part =>
                {
                    found[part] = new NearestList(10);
                    for (int r = (int)((long)SearchRows * part / slices), end = (int)((long)SearchRows * (part + 1) / slices); r < end; r++)
                    {
                        found[part].Offer(ExactIndex.SquaredDistance(padded, whole.AsSpan(r * stride, stride)), r);
                    }
                });
                var merged = new NearestList(10);
                foreach (var slice in found)
                {
                    merged.OfferAll(slice);
                }

                return merged;
            }

            // Halfway between two rows of different labels no row is near: the harder case of a photo unlike any
            // indexed one, where fewer rows are decided by their first components.
            var between = Enumerable.Range(0, 200).Select(i =>
            {
                var (a, b) = (rows[random.Next(rows.Count)], rows[random.Next(rows.Count)]);
                return a.PcaFeatures.Zip(b.PcaFeatures, (x, y) => (x + y) / 2).ToArray();
            }).ToList();
            var differing = 0;
            (Latencies Blocks, Latencies Whole) Compare(List<float[]> asked)
            {
                var q = 0;
                var blocks = new List<double>();
                var plain = new List<double>();
                var timer = Stopwatch.StartNew();
                while (timer.Elapsed.TotalSeconds < seconds / 4 || blocks.Count < 50)
                {
                    var query = asked[q++ % asked.Count];
                    var start = Stopwatch.GetTimestamp();
                    var found = index.SearchRows(query, 10);
                    blocks.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                    start = Stopwatch.GetTimestamp();
                    var expected = WholeRows(query);
                    plain.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                    for (var i = 0; i < expected.Count; i++)
                    {
                        if (found.RowAt(i) != expected.RowAt(i) || found.DistanceAt(i) != expected.DistanceAt(i))
                        {
                            differing++;
                            break;
                        }
                    }
                }

                return (Summarize(blocks), Summarize(plain));
            }

            for (var warm = 0; warm < 5; warm++)
            {
                index.Search(queries[warm], 10);
                WholeRows(queries[warm]);
            }

            var (search, wholeSearch) = Compare(queries);
            Print($"    exact search over {SearchRows:N0} rows of {k} dimensions, top 10: p50 {search.P50:F2} ms, p99 {search.P99:F2} ms ({index.BytesPerRow():F0} bytes a row); every whole row scanned: p50 {wholeSearch.P50:F2} ms, p99 {wholeSearch.P99:F2} ms");
            var (far, wholeFar) = Compare(between);
            Print($"    exact search as above, queries halfway between two rows: p50 {far.P50:F2} ms, p99 {far.P99:F2} ms; every whole row scanned: p50 {wholeFar.P50:F2} ms, p99 {wholeFar.P99:F2} ms");
            Print($"    answers differing from the whole-row scan: {differing} of {search.Count + far.Count} queries");

            if (report is not null)
            {
                await File.AppendAllLinesAsync(report, lines, cancellationToken);
            }

            if (json)
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    output,
                    rows = rows.Count,
                    k,
                    onnx_single_p50_ms = onnx.P50,
                    onnx_alongside_http_p50_ms = alongside.P50,
                    onnx_ceiling_images_per_second = ceiling,
                    onnx_ceiling_samples = ceilings,
                    concurrent_round_ratios = rounds.Select(r => r.Ratio).ToArray(),
                    http_single_p50_ms = single.P50,
                    http_single_p99_ms = single.P99,
                    http_p50_ratio = single.P50 / alongside.P50,
                    http_p99_ratio = single.P99 / alongside.P50,
                    concurrent_clients = Clients,
                    concurrent_photos_per_second = throughput,
                    concurrent_ratio_to_ceiling = throughput / ceiling,
                    search_rows = SearchRows,
                    search_p50_ms = search.P50,
                    search_p99_ms = search.P99,
                    search_whole_rows_p50_ms = wholeSearch.P50,
                    search_between_p50_ms = far.P50,
                    search_between_p99_ms = far.P99,
                    search_between_whole_rows_p50_ms = wholeFar.P50,
                    search_answers_differing = differing,
                    bytes_per_row = index.BytesPerRow(),
                }));
            }

            return 0;
        }
        finally
        {
            if (!serve.HasExited)
            {
                serve.Kill(entireProcessTree: true);
                await serve.WaitForExitAsync(CancellationToken.None);
            }
        }
    }

    private static async Task WaitForServeAsync(HttpClient http, Process serve, CancellationToken cancellationToken)
    {
        while (!serve.HasExited)
        {
            try
            {
                using var response = await http.GetAsync("v1/index", cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            await Task.Delay(200, cancellationToken);
        }

        throw new InvalidOperationException($"fruits serve exited {serve.ExitCode}: {await serve.StandardError.ReadToEndAsync(cancellationToken)}");
    }

    private sealed record Latencies(double P50, double P99, int Count);

    private static Latencies Time(Action step, int warmup, double seconds)
    {
        for (var i = 0; i < warmup; i++)
        {
            step();
        }

        var samples = new List<double>();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < seconds || samples.Count < 50)
        {
            var start = Stopwatch.GetTimestamp();
            step();
            samples.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }

        return Summarize(samples);
    }

    /// <summary>Times <paramref name="step"/> and <paramref name="reference"/> in turn, one of each at a time, so both see the same machine.</summary>
    private static async Task<(Latencies Step, Latencies Reference)> TimeAlternatelyAsync(Func<Task> step, Action reference, int warmup, double seconds)
    {
        for (var i = 0; i < warmup; i++)
        {
            await step();
            reference();
        }

        var steps = new List<double>();
        var references = new List<double>();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < seconds || steps.Count < 50)
        {
            var start = Stopwatch.GetTimestamp();
            await step();
            steps.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            start = Stopwatch.GetTimestamp();
            reference();
            references.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }

        return (Summarize(steps), Summarize(references));
    }

    private static Latencies Summarize(List<double> samples)
    {
        samples.Sort();
        return new Latencies(samples[samples.Count / 2], samples[Math.Min(samples.Count - 1, (int)(samples.Count * 0.99))], samples.Count);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
