using System.Diagnostics;
using System.Text.Json;
using Fruits.Pipeline.Listing;
using Fruits.Pipeline.Output;
using Fruits.Pipeline.Plots;
using Fruits.Pipeline.Statistics;
using Fruits.Pipeline.Storage;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace Fruits.Grains;

/// <summary>
/// Drives one job, top-down like the seed notebook: list -> featurize (statistics merged as batches
/// finish) -> fit PCA -> project -> write. It runs in the background of the activation; callers poll.
/// </summary>
public sealed class JobGrain(
    IObjectStoreFactory stores,
    FeaturizerModel model,
    ILogger<JobGrain> logger) : Grain, IJobGrain
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private const int MaxScatterPoints = 20_000;

    private readonly Dictionary<string, double> _phaseSeconds = [];
    private readonly Dictionary<string, int> _batchesPerSilo = [];
    private JobSpec? _spec;
    private JobPhase _phase = JobPhase.NotStarted;
    private readonly HashSet<string> _labels = new(StringComparer.Ordinal);
    private int _batchCount;
    private int _imagesTotal;
    private int _imagesDone;
    private int _imagesFailed;
    private int _batchesDone;
    private string? _error;
    private JobSummary? _summary;
    private Stopwatch _featurizeClock = new();

    public async Task<JobStatus> Start(JobSpec spec)
    {
        if (_spec is not null)
        {
            return _spec == spec
                ? Snapshot()
                : throw new InvalidOperationException($"job {this.GetPrimaryKeyString()} already exists with a different spec");
        }

        try
        {
            await ValidateAsync(spec);
        }
        catch (StorageException e)
        {
            // Pipeline exceptions have no wire codec; the caller needs only the readable line.
            throw new InvalidOperationException(e.Message);
        }

        _spec = spec;
        _phase = JobPhase.Listing;
        DelayDeactivation(TimeSpan.FromDays(7));
        _ = RunAsync(spec);
        return Snapshot();
    }

    public Task<JobStatus> GetStatus() => Task.FromResult(Snapshot());

    private async Task ValidateAsync(JobSpec spec)
    {
        if (spec.BatchSize <= 0)
        {
            throw new ArgumentException($"batch size must be positive, got {spec.BatchSize}");
        }

        if (spec.Selection.FixedK is { } k && k is < 1 or > 1280)
        {
            throw new ArgumentException($"k must be within [1, 1280], got {k}");
        }

        if (spec.Selection.FixedK is null && spec.Selection.Threshold is not (> 0 and <= 1))
        {
            throw new ArgumentException($"threshold must be within (0, 1], got {spec.Selection.Threshold}");
        }

        var input = stores.Open(spec.Input);
        await input.CheckAccessAsync(forWrite: false);
        await using (var images = new ImageLister().ListAsync(input).GetAsyncEnumerator())
        {
            if (!await images.MoveNextAsync())
            {
                throw new InvalidOperationException($"{spec.Input} holds no .jpg or .jpeg images");
            }
        }

        var output = stores.Open(spec.Output);
        await output.CheckAccessAsync(forWrite: true);
        if (spec.Overwrite)
        {
            await ClearAsync(output);
        }
        else if (await output.ExistsAsync(OutputLayout.Success))
        {
            throw new InvalidOperationException($"{spec.Output} already holds a finished job; pass --overwrite to replace it");
        }
    }

    /// <summary>Deletes what a job writes, and nothing else a user may keep in that folder.</summary>
    /// <param name="keepPlan">Keep _job/: the batch manifests of the listing that just ran are there.</param>
    private static async Task ClearAsync(IObjectStore output, bool keepPlan = false)
    {
        var ours = new List<string>();
        await foreach (var item in output.ListAsync(string.Empty))
        {
            var key = item.Key;
            if (key.StartsWith("_work/", StringComparison.Ordinal) || (!keepPlan && key.StartsWith("_job/", StringComparison.Ordinal))
                || (key.StartsWith("part-", StringComparison.Ordinal) && key.EndsWith(".parquet", StringComparison.Ordinal))
                || key is OutputLayout.PcaModel or OutputLayout.Summary or OutputLayout.Errors or OutputLayout.Success
                || key.EndsWith(".png", StringComparison.Ordinal) && !key.Contains('/'))
            {
                ours.Add(key);
            }
        }

        // _SUCCESS goes first so a half-cleared folder never looks finished.
        foreach (var key in ours.OrderBy(k => k == OutputLayout.Success ? 0 : 1))
        {
            await output.DeleteAsync(key);
        }
    }

    private async Task RunAsync(JobSpec spec)
    {
        var jobId = this.GetPrimaryKeyString();
        using var scope = logger.BeginJobScope(jobId);
        var total = Stopwatch.StartNew();
        try
        {
            var input = stores.Open(spec.Input);
            var output = stores.Open(spec.Output);
            var modelInfo = await model.GetAsync();

            var listingHash = "";
            await Timed("listing", async () => listingHash = await ListAsync(input, output, spec.BatchSize));
            if (_imagesTotal == 0)
            {
                throw new InvalidOperationException($"{spec.Input} holds no .jpg or .jpeg images");
            }

            var plan = new JobPlan(jobId, spec.Input.Uri, spec.Output.Uri, spec.BatchSize, spec.Selection.Threshold, spec.Selection.FixedK,
                modelInfo.Sha256, _imagesTotal, _batchCount, listingHash);
            var resumed = await FindResumableBatchesAsync(output, plan);
            await output.WriteAsync(OutputLayout.Plan, JsonSerializer.SerializeToUtf8Bytes(plan, Json));

            _phase = JobPhase.Featurizing;
            _featurizeClock = Stopwatch.StartNew();
            var succeededBatches = new List<int>();
            var featurized = new List<int>();
            await Timed("featurize", () => DispatchAsync(Enumerable.Range(0, _batchCount).Where(b => !resumed.Contains(b)), (worker, batch) =>
                worker.Featurize(new FeaturizeRequest(jobId, batch, spec.Input, spec.Output)), outcome =>
                {
                    _imagesDone += outcome.Succeeded;
                    _imagesFailed += outcome.Failed;
                    _batchesDone++;
                    _batchesPerSilo[outcome.Silo] = _batchesPerSilo.GetValueOrDefault(outcome.Silo) + 1;
                    featurized.Add(outcome.BatchIndex);
                    if (outcome.Succeeded > 0)
                    {
                        succeededBatches.Add(outcome.BatchIndex);
                    }
                }));
            _featurizeClock.Stop();

            _phase = JobPhase.FittingPca;
            var aggregator = GrainFactory.GetGrain<IPcaAggregatorGrain>(jobId);
            PcaModel pca = null!;
            await Timed("pca_fit", async () =>
            {
                // Statistics of resumed batches, and of batches whose merge was lost with a silo, are
                // rebuilt from their stored features parts: the parts, not the partials, are the truth.
                var merged = (await aggregator.MergedBatches()).ToHashSet();
                var restate = resumed.Concat(featurized.Where(b => !merged.Contains(b))).Distinct().Order().ToList();
                await DispatchAsync(restate, (worker, batch) => worker.Restate(new RestateRequest(jobId, batch, spec.Output)), outcome =>
                {
                    if (resumed.Contains(outcome.BatchIndex))
                    {
                        _imagesDone += outcome.Succeeded;
                        _imagesFailed += outcome.Failed;
                        _batchesDone++;
                        if (outcome.Succeeded > 0)
                        {
                            succeededBatches.Add(outcome.BatchIndex);
                        }
                    }
                });
                pca = await aggregator.Fit(spec.Selection);
                await output.WriteAsync(OutputLayout.PcaModel, PcaModelJson.Serialize(pca));
            });

            _phase = JobPhase.Projecting;
            var plots = new PlotRenderer();

            // The variance curve and the errors table need only the fit and the featurize phase: they are
            // produced while the projection runs (the curve's rendering on the thread pool, off this
            // activation's turn), so the write phase is left with the scatter alone.
            var varianceCurve = Task.Run(() => plots.VarianceCurve(pca));
            var errorsWritten = WriteErrorsAsync(output);
            var points = new List<ScatterPoint>();
            await Timed("projection", () => DispatchAsync(succeededBatches.Order(), (worker, batch) =>
                worker.Project(new ProjectRequest(jobId, batch, spec.Output)), outcome =>
                {
                    if (outcome.Points is { } sample && points.Count < MaxScatterPoints)
                    {
                        points.AddRange(sample.Take(MaxScatterPoints - points.Count));
                    }
                }));

            _phase = JobPhase.Writing;
            await Timed("write", async () =>
            {
                await output.WriteAsync(OutputLayout.VariancePlot, await varianceCurve);
                await output.WriteAsync(OutputLayout.ScatterPlot, plots.Scatter(points));
                await errorsWritten;
            });
            _summary = BuildSummary(jobId, spec, pca, modelInfo.Sha256, total.Elapsed.TotalSeconds) with { BatchesResumed = resumed.Count };
            await output.WriteAsync(OutputLayout.Summary, JsonSerializer.SerializeToUtf8Bytes(_summary, Json));
            await output.WriteAsync(OutputLayout.Success, Array.Empty<byte>());
            _phase = JobPhase.Completed;
            logger.LogInformation("Job {JobId} completed: {Images} images, k={K}, {Rate:F1} images/s", jobId, _imagesDone, pca.K, _summary.ImagesPerSecond);
        }
        catch (Exception e)
        {
            _error = e.Message.ReplaceLineEndings(" ");
            _phase = JobPhase.Failed;
            logger.LogError(e, "Job {JobId} failed", jobId);
        }
        finally
        {
            // Keep the finished job answerable for a while, then let the activation go.
            DelayDeactivation(TimeSpan.FromHours(1));
        }
    }

    /// <summary>Batches whose features part is already stored by an earlier run of the same plan.</summary>
    private async Task<HashSet<int>> FindResumableBatchesAsync(IObjectStore output, JobPlan plan)
    {
        var resumable = new HashSet<int>();
        if (!await output.ExistsAsync(OutputLayout.Plan))
        {
            return resumable;
        }

        JobPlan? previous;
        await using (var stream = await output.OpenReadAsync(OutputLayout.Plan))
        {
            previous = await JsonSerializer.DeserializeAsync<JobPlan>(stream, Json);
        }

        if (previous is null || !previous.CanResume(plan))
        {
            logger.LogWarning("Job {JobId}: {Output} holds unfinished work of a different plan; starting over", plan.JobId, plan.Output);
            await ClearAsync(output, keepPlan: true);
            return resumable;
        }

        await foreach (var part in output.ListAsync(OutputLayout.FeaturesPrefix))
        {
            var name = part.Key[OutputLayout.FeaturesPrefix.Length..];
            if (name.StartsWith("batch-", StringComparison.Ordinal) && name.EndsWith(".parquet", StringComparison.Ordinal)
                && int.TryParse(name["batch-".Length..^".parquet".Length], out var batch) && batch < plan.Batches)
            {
                resumable.Add(batch);
            }
        }

        logger.LogInformation("Job {JobId}: resuming, {Done} of {Batches} batches already stored", plan.JobId, resumable.Count, plan.Batches);
        return resumable;
    }

    /// <summary>
    /// Lists and cuts batches as the listing streams, writing each batch's manifest to the output store;
    /// returns a hash of the listing so a resume can tell the input is unchanged.
    /// </summary>
    private async Task<string> ListAsync(IObjectStore input, IObjectStore output, int batchSize)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        var current = new List<ImageEntry>(batchSize);
        await foreach (var image in new ImageLister().ListAsync(input))
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(image.Key + "\n"));
            _labels.Add(image.Label);
            current.Add(image);
            _imagesTotal++;
            if (current.Count == batchSize)
            {
                await BatchManifest.WriteAsync(output, _batchCount++, current);
                current.Clear();
            }
        }

        if (current.Count > 0)
        {
            await BatchManifest.WriteAsync(output, _batchCount++, current);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>
    /// Keeps every active silo busy up to its capacity, re-dispatching a batch whose call failed
    /// (its silo may have died) and picking up silos that join while the phase runs.
    /// </summary>
    private async Task DispatchAsync(IEnumerable<int> batches, Func<ISiloWorkerGrain, int, Task<BatchOutcome>> call, Action<BatchOutcome> completed)
    {
        const int maxAttempts = 5;
        var queue = new Queue<int>(batches);
        var attempts = new Dictionary<int, int>();
        var capacity = new Dictionary<string, int>();
        var load = new Dictionary<string, int>();
        var running = new Dictionary<Task<BatchOutcome>, (int Batch, string Silo)>();
        var management = GrainFactory.GetGrain<IManagementGrain>(0);
        var refreshed = Stopwatch.StartNew();
        var first = true;

        while (queue.Count > 0 || running.Count > 0)
        {
            if (first || refreshed.Elapsed > TimeSpan.FromSeconds(2))
            {
                first = false;
                refreshed.Restart();
                var hosts = await management.GetHosts(onlyActive: true);
                var active = hosts.Keys.Select(s => s.ToParsableString()).ToHashSet();
                foreach (var gone in capacity.Keys.Where(s => !active.Contains(s)).ToList())
                {
                    capacity.Remove(gone);
                }

                foreach (var silo in active.Where(s => !capacity.ContainsKey(s)))
                {
                    try
                    {
                        capacity[silo] = await GrainFactory.GetGrain<ISiloWorkerGrain>(silo).GetCapacity();
                    }
                    catch (Exception e)
                    {
                        logger.LogWarning("Silo {Silo} is not taking work yet: {Reason}", silo, e.Message);
                    }
                }
            }

            foreach (var (silo, slots) in capacity.OrderBy(c => load.GetValueOrDefault(c.Key)))
            {
                while (queue.Count > 0 && load.GetValueOrDefault(silo) < slots)
                {
                    var batch = queue.Dequeue();
                    running[call(GrainFactory.GetGrain<ISiloWorkerGrain>(silo), batch)] = (batch, silo);
                    load[silo] = load.GetValueOrDefault(silo) + 1;
                }
            }

            if (running.Count == 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500));
                first = true;
                continue;
            }

            var finished = await Task.WhenAny(running.Keys);
            var (doneBatch, doneSilo) = running[finished];
            running.Remove(finished);
            load[doneSilo]--;
            try
            {
                completed(await finished);
            }
            catch (Exception e)
            {
                var attempt = attempts[doneBatch] = attempts.GetValueOrDefault(doneBatch) + 1;
                if (attempt >= maxAttempts)
                {
                    throw new InvalidOperationException($"batch {doneBatch} failed {attempt} times, last: {e.Message}", e);
                }

                using (logger.BeginBatchScope(this.GetPrimaryKeyString(), doneBatch))
                {
                    logger.LogWarning("Batch {BatchIndex} failed on {Silo} (attempt {Attempt}), re-dispatching: {Reason}", doneBatch, doneSilo, attempt, e.Message);
                }

                queue.Enqueue(doneBatch);
                first = true; // the silo may be gone: look at membership before handing out more
            }
        }
    }

    private async Task WriteErrorsAsync(IObjectStore output)
    {
        var errors = new List<ErrorRow>();
        await foreach (var part in output.ListAsync(OutputLayout.ErrorsPrefix))
        {
            if (part.Key.EndsWith(".parquet", StringComparison.Ordinal))
            {
                errors.AddRange(await ParquetParts.ReadAsync<ErrorRow>(output, part.Key));
            }
        }

        if (errors.Count > 0)
        {
            await ParquetParts.WriteAsync(output, OutputLayout.Errors, errors);
        }
        else if (await output.ExistsAsync(OutputLayout.Errors))
        {
            await output.DeleteAsync(OutputLayout.Errors);
        }
    }

    private JobSummary BuildSummary(string jobId, JobSpec spec, PcaModel pca, string modelSha256, double totalSeconds) => new()
    {
        JobId = jobId,
        Input = spec.Input.Uri,
        Output = spec.Output.Uri,
        ImagesFound = _imagesTotal,
        ImagesSucceeded = _imagesDone,
        ImagesFailed = _imagesFailed,
        Labels = _labels.Count,
        Batches = _batchCount,
        BatchSize = spec.BatchSize,
        K = pca.K,
        VarianceKept = pca.VarianceKept,
        Threshold = spec.Selection.FixedK is null ? spec.Selection.Threshold : null,
        PhaseSeconds = new Dictionary<string, double>(_phaseSeconds),
        TotalSeconds = totalSeconds,
        ImagesPerSecond = _imagesTotal / Math.Max(1e-9, totalSeconds),
        ModelSha256 = modelSha256,
        BatchesPerSilo = new Dictionary<string, int>(_batchesPerSilo),
    };

    private async Task Timed(string phase, Func<Task> action)
    {
        var clock = Stopwatch.StartNew();
        await action();
        _phaseSeconds[phase] = clock.Elapsed.TotalSeconds;
    }

    private JobStatus Snapshot() => new(
        this.GetPrimaryKeyString(),
        _phase,
        _imagesTotal,
        _imagesDone,
        _imagesFailed,
        _batchCount,
        _batchesDone,
        _featurizeClock.Elapsed.TotalSeconds > 0 ? (_imagesDone + _imagesFailed) / _featurizeClock.Elapsed.TotalSeconds : 0,
        _error,
        _summary);
}
