using System.Diagnostics;
using Fruits.Grains.Interfaces;
using Fruits.Pipeline.Imaging;
using Fruits.Pipeline.Listing;
using Fruits.Pipeline.Output;
using Fruits.Pipeline.Plots;
using Fruits.Pipeline.Reuse;
using Fruits.Pipeline.Statistics;
using Fruits.Pipeline.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using Orleans.Storage;

namespace Fruits.Grains;

/// <summary>
/// Owns one job from submit to _SUCCESS, one phase after another: list -> featurize -> statistics ->
/// fit PCA -> project -> write. Its record is persisted at each phase change and every few seconds of progress,
/// and a reminder resumes it from what is stored when its silo, or the whole cluster, was lost.
/// </summary>
public sealed partial class JobGrain(
    [PersistentState("job", JobsOptions.StorageName)] IPersistentState<JobState> record,
    IObjectStoreFactory stores,
    IOptions<JobsOptions> options,
    IOptions<FeatureStoreOptions> featureStoreOptions,
    IOptions<Orleans.Hosting.ReminderOptions> reminderOptions,
    ILocalSiloDetails silo,
    IClusterMembershipService membership,
    DrivenJobs drivenJobs,
    FeatureStoreCache featureStores,
    ILogger<JobGrain> logger) : Grain, IJobGrain, IRemindable
{
    private const string ResumeReminder = "resume";
    private const int MaxScatterPoints = 20_000;

    private readonly SemaphoreSlim _saving = new(1, 1);
    private readonly Stopwatch _featurizeClock = new();
    private readonly Dictionary<string, double> _phaseSeconds = [];
    private Task? _run;
    private CancellationTokenSource? _stop;
    private bool _cancelRequested;
    private DateTime _lastSave;
    private long _statisticsRowsReused;

    private JobState State => record.State;

    private string JobId => this.GetPrimaryKeyString();

    public async Task<JobStatus> Start(JobSpec spec)
    {
        spec.Validate();
        if (State.Spec is not null && State.Phase == JobPhase.Completed && spec.Overwrite && _run is null)
        {
            // Run again from scratch under the same id: the user asked to replace the finished output.
            record.State = new JobState();
        }

        var isNew = State.Spec is null;
        if (State.Spec is { } existing)
        {
            if (!existing.SameWorkAs(spec))
            {
                throw new InvalidOperationException($"job {JobId} already exists with a different spec");
            }

            if (State.Phase == JobPhase.Completed || _run is not null || await IsDrivenElsewhereAsync())
            {
                return Snapshot();
            }
        }

        try
        {
            await ValidateAsync(spec, checkFinished: isNew && !spec.Overwrite);
        }
        catch (StorageException e)
        {
            // Pipeline exceptions have no wire codec; the caller needs only the readable line.
            throw new InvalidOperationException(e.Message);
        }

        if (isNew)
        {
            // The record exists before the output's lock names this job, so whoever finds the lock can look it up.
            State.Spec = spec;
            State.SubmittedUtc = DateTime.UtcNow;
            State.Phase = JobPhase.Listing;
            await SaveAsync(force: true);
        }

        try
        {
            await Claim().ClaimAsync(stores.Open(spec.Output.ToPipeline()), JobId);
        }
        catch (InvalidOperationException) when (isNew)
        {
            // Refused: this job never started, so it leaves no record behind.
            await record.ClearStateAsync();
            record.State = new JobState();
            throw;
        }

        State.Phase = JobPhase.Listing;
        State.Error = null;
        State.FinishedUtc = null;
        await SaveAsync(force: true);

        // The reminder service refuses periods below its minimum; a silo configured for less gets the minimum.
        var period = options.Value.ResumeCheckPeriod > reminderOptions.Value.MinimumReminderPeriod ? options.Value.ResumeCheckPeriod : reminderOptions.Value.MinimumReminderPeriod;
        await this.RegisterOrUpdateReminder(ResumeReminder, period, period);
        await RecordInRegistryAsync();
        StartRun(clearOutput: isNew && spec.Overwrite);
        return Snapshot();
    }

    public Task<JobStatus> GetStatus() => Task.FromResult(Snapshot());

    public async Task<JobStatus> Cancel()
    {
        if (State.Spec is null || State.IsFinished)
        {
            return Snapshot();
        }

        _cancelRequested = true;
        if (_run is { } run)
        {
            _stop?.Cancel();
            await run;
        }
        else
        {
            await FinishAsync(JobPhase.Cancelled, error: null);
        }

        return Snapshot();
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (State.Spec is null || State.IsFinished)
        {
            await UnregisterResumeReminderAsync();
        }
        else if (_run is null && await IsDrivenElsewhereAsync())
        {
            LogDrivenElsewhere(JobId, State.Driver!);
            DeactivateOnIdle();
        }
        else if (_run is null)
        {
            LogResuming(JobId, State.Attempts.Count + 1);
            StartRun(clearOutput: false);
        }
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // The silo is stopping or the activation is being moved: stop handing out batches. The record stays
        // unfinished, so the reminder resumes the job on a silo that is up.
        if (_run is not null)
        {
            LogDeactivating(JobId, reason.ReasonCode.ToString(), reason.Description);
        }

        _stop?.Cancel();
        return Task.CompletedTask;
    }

    private void StartRun(bool clearOutput)
    {
        _stop = new CancellationTokenSource();
        _cancelRequested = false;
        DelayDeactivation(TimeSpan.FromDays(7));
        drivenJobs.Add(JobId);
        _run = RunAsync(clearOutput, _stop.Token);
    }

    /// <summary>
    /// True when the stored record names another silo as the job's driver and that silo says an activation there
    /// runs the job: then this activation is a duplicate (the grain directory may briefly keep two while silos come
    /// and go) and must not start an attempt of its own.
    /// </summary>
    private async Task<bool> IsDrivenElsewhereAsync()
    {
        await record.ReadStateAsync();
        if (State.IsFinished || State.Driver is not { } driver || driver == silo.SiloAddress.ToParsableString()
            || membership.CurrentSnapshot.GetSiloStatus(SiloAddress.FromParsableString(driver)) != SiloStatus.Active)
        {
            return false;
        }

        try
        {
            return await GrainFactory.GetGrain<ISiloRouterGrain>(driver).IsDriving(JobId).WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A driver that cannot answer cannot drive the job either.
            return false;
        }
    }

    private async Task ValidateAsync(JobSpec spec, bool checkFinished)
    {
        // Before anything is written (the write check below writes a probe): never into, above or as the input,
        // a home folder or a filesystem root.
        OutputGuard.Check(spec.Input.ToPipeline(), spec.Output.ToPipeline());
        var input = stores.Open(spec.Input.ToPipeline());
        await input.CheckAccessAsync(forWrite: false);
        await using (var images = new ImageLister().ListAsync(input).GetAsyncEnumerator())
        {
            if (!await images.MoveNextAsync())
            {
                throw new InvalidOperationException($"{spec.Input} holds no .jpg or .jpeg images");
            }
        }

        var output = new JobOutput(stores.Open(spec.Output.ToPipeline()));
        await output.Store.CheckAccessAsync(forWrite: true);
        if (checkFinished && await output.IsFinishedAsync())
        {
            throw new InvalidOperationException($"{spec.Output} already holds a finished job; pass --overwrite to replace it");
        }

    }

    private OutputClaim Claim() => new(GrainFactory, options.Value, silo.SiloAddress.ToParsableString(), logger);

    private async Task RunAsync(bool clearOutput, CancellationToken stop)
    {
        using var scope = logger.BeginJobScope(JobId);
        try
        {
            // Only the first attempt clears an output: the next ones resume what the earlier ones stored.
            while (!await RunAttemptAsync(clearOutput, stop))
            {
                clearOutput = false;
            }
        }
        finally
        {
            _run = null;
            drivenJobs.Remove(JobId);
        }
    }

    /// <summary>Runs one attempt of the job; false when a lost silo ended it and the next attempt should start.</summary>
    private async Task<bool> RunAttemptAsync(bool clearOutput, CancellationToken stop)
    {
        var spec = State.Spec!;
        State.Attempts.Add(new JobAttempt { Attempt = State.Attempts.Count + 1, StartedUtc = DateTime.UtcNow });
        State.Driver = silo.SiloAddress.ToParsableString();
        State.ImagesDone = State.ImagesFailed = State.BatchesDone = State.ImagesReused = 0;
        _phaseSeconds.Clear();
        _featurizeClock.Reset();
        _statisticsRowsReused = 0;
        try
        {
            await SaveAsync(force: true);
            await RunPipelineAsync(spec, clearOutput, stop);
        }
        catch (InconsistentStateException e)
        {
            // Another activation of this job stored a newer record: it drives the job now, this one steps aside.
            LogSupplanted(JobId, e.Message);
            DeactivateOnIdle();
        }
        catch (Exception e) when (stop.IsCancellationRequested && !_cancelRequested)
        {
            LogInterrupted(JobId, e.Message);
        }
        catch (Exception e) when (!stop.IsCancellationRequested && SiloLoss.Is(e) && InterruptedInARow() + 1 < options.Value.MaxInterruptedAttempts)
        {
            // A grain the job called (its statistics' aggregator, a silo's router) was on a silo that died or left
            // mid-call. Nothing the job stored is lost, so it is not a failure of the job: the next attempt resumes
            // the stored batches on the silos that are up.
            var reason = e.Message.ReplaceLineEndings(" ");
            LogAttemptLostSilo(JobId, State.Attempts.Count, reason);
            UpdateAttempt(a => a with { Interruption = reason });
            return false;
        }
        catch (Exception e)
        {
            LogFailed(e, JobId);
            await FinishQuietlyAsync(JobPhase.Failed, e.Message.ReplaceLineEndings(" "));
        }

        return true;
    }

    private int InterruptedInARow() => State.Attempts.Take(State.Attempts.Count - 1).Reverse().TakeWhile(a => a.Interruption is not null).Count();

    private async Task RunPipelineAsync(JobSpec spec, bool clearOutput, CancellationToken stop)
    {
        var input = stores.Open(spec.Input.ToPipeline());
        var output = new JobOutput(stores.Open(spec.Output.ToPipeline()));
        var dispatcher = new BatchDispatcher(GrainFactory, options.Value, logger, JobId);

        // The job's model is one a ready silo can run (this silo's, if it can): a silo whose model does not load, or
        // differs, gets no batch, and the job fails only when no silo can featurize.
        var modelSha256 = await dispatcher.AgreeOnModelAsync(silo.SiloAddress.ToParsableString(), stop);
        var featureStore = featureStoreOptions.Value.Resolve(spec);
        State.FeatureStore = featureStore?.Uri;

        // The silos that will featurize load the feature store's index while the output is made ready and listed.
        var storeOpened = OpenFeatureStoreAsync(dispatcher.ReadySilos, featureStore, modelSha256);

        // Every attempt holds the output (another job may have taken it while this one waited to resume), and
        // removes what a writer killed mid-write left in the output's temporary folder.
        await Claim().ClaimAsync(output.Store, JobId, stop);
        await output.Store.DeleteTemporaryFilesAsync(stop);
        if (clearOutput)
        {
            await output.ClearAsync(keepPlan: false, stop);
        }

        await ForgetPartialsAsync();

        // list
        await SetPhaseAsync(JobPhase.Listing);
        var versions = featureStore is null ? null : new List<UInt128?>();
        var inFeatureStore = featureStore is null ? null : CutTestAsync(output, spec, featureStore, modelSha256, stop);
        var listing = await Timed("listing", () => output.ListAsync(input, spec.BatchSize, versions, inFeatureStore, stop));
        if (listing.Images == 0)
        {
            throw new InvalidOperationException($"{spec.Input} holds no .jpg or .jpeg images");
        }

        State.ImagesTotal = listing.Images;
        State.BatchesTotal = listing.Batches;
        var plan = new JobPlan(JobId, spec.Input.Uri, spec.Output.Uri, spec.BatchSize, spec.Selection.Threshold, spec.Selection.FixedK,
            modelSha256, listing.Images, listing.Batches, listing.ListingSha256, listing.HeldByStore is { } held ? Convert.ToBase64String(held) : null);
        var resumed = await FindResumableAsync(output, plan, stop);
        await output.WritePlanAsync(plan, stop);
        foreach (var commit in resumed.Values)
        {
            State.ImagesDone += commit.Succeeded;
            State.ImagesFailed += commit.Failed;
            State.ImagesReused += commit.Reused;
            State.BatchesDone++;
        }

        UpdateAttempt(a => a with { BatchesResumed = resumed.Count });

        // Statistics an earlier job computed from rows this one expects are taken instead of computed again: the
        // featurizers leave those rows out, and the statistics are trusted only once the rows featurized are those expected.
        var recall = featureStore is null ? null : new StatisticsRecall(featureStores, featureStore, modelSha256, JobId, featureStoreOptions.Value.FeatureStoreKeptStatistics, logger);
        var recalled = recall is not null && resumed.Count == 0
            ? await recall.FindAsync(versions!, spec.BatchSize, spec.Selection.ToPipeline(), stop)
            : null;

        // featurize: each silo merges its batches' statistics as they finish
        await SetPhaseAsync(JobPhase.Featurizing);
        var featurized = new Dictionary<int, (BatchResult Result, string Silo)>();
        _featurizeClock.Start();
        await Timed("featurize", () => dispatcher.RunAsync(
            Enumerable.Range(0, listing.Batches).Where(b => !resumed.ContainsKey(b)),
            (worker, batch) => worker.Featurize(new FeaturizeRequest(JobId, batch, spec.Input, spec.Output)
            {
                FeatureStore = featureStore?.ToContract(),
                ModelSha256 = modelSha256,
                SkipStatistics = recalled?.MaskFor(batch, spec.BatchSize),
            }),
            async (result, worker) =>
            {
                featurized[result.BatchIndex] = (result, worker);
                State.ImagesDone += result.Succeeded;
                State.ImagesFailed += result.Failed;
                State.ImagesReused += result.Reused;
                State.BatchesDone++;
                State.BatchesPerSilo[result.Silo] = State.BatchesPerSilo.GetValueOrDefault(result.Silo) + 1;
                UpdateAttempt(a => a with
                {
                    ImagesFeaturized = a.ImagesFeaturized + result.Succeeded + result.Failed,
                    BatchesFeaturized = a.BatchesFeaturized + 1,
                    FeaturizeSeconds = _featurizeClock.Elapsed.TotalSeconds,
                });
                await SaveAsync(force: false);
            },
            stop));
        _featurizeClock.Stop();
        await storeOpened;
        UpdateAttempt(a => a with { FeaturizeSeconds = _featurizeClock.Elapsed.TotalSeconds });
        if (stop.IsCancellationRequested)
        {
            await StopAsync();
            return;
        }

        // statistics -> fit PCA
        await SetPhaseAsync(JobPhase.FittingPca);
        var withRows = resumed.Where(r => r.Value.Succeeded > 0).Select(r => r.Key)
            .Concat(featurized.Values.Where(f => f.Result.Succeeded > 0).Select(f => f.Result.BatchIndex))
            .Order().ToList();
        var kept = Task.CompletedTask;
        var pca = await Timed("pca_fit", async () =>
        {
            var statistics = new JobStatistics(GrainFactory, dispatcher, JobId, spec.Output, logger);
            async Task<(PcaModel, bool)> ComputeAsync((int[] Batches, MomentStatistics Statistics)? prior) =>
                (await statistics.FitAsync(featurized.Values.Select(f => (f.Result.BatchIndex, f.Silo)), withRows, State.ImagesDone, spec.Selection, stop, prior), statistics.PriorUsed);
            PcaModel fitted;
            if (recall is null)
            {
                (fitted, _) = await ComputeAsync(null);
            }
            else
            {
                var results = Enumerable.Range(0, listing.Batches).Select(b => featurized.TryGetValue(b, out var f) ? f.Result : null).ToList();
                var fit = await recall.FitAsync(recalled, results, resumed.Count == 0 && State.ImagesFailed == 0, spec.BatchSize, ComputeAsync, output.Store, spec.Selection.ToPipeline(), stop);
                (fitted, _statisticsRowsReused, kept) = (fit.Model, fit.RowsReused, fit.Kept);
            }

            await output.Store.WriteAsync(OutputLayout.PcaModel, PcaModelJson.Serialize(fitted), stop);
            return fitted;
        });

        // project; the variance curve and the errors table need only the fit, so they are made meanwhile
        await SetPhaseAsync(JobPhase.Projecting);
        var plots = new PlotRenderer();
        var varianceCurve = Task.Run(() => plots.VarianceCurve(pca), stop);
        var errorsWritten = output.WriteErrorsAsync(stop);
        var points = new List<ScatterPoint>();
        var rowsPerBatch = resumed.Select(r => (Batch: r.Key, Rows: r.Value.Succeeded))
            .Concat(featurized.Values.Select(f => (Batch: f.Result.BatchIndex, Rows: f.Result.Succeeded)))
            .Where(b => b.Rows > 0).OrderBy(b => b.Batch).ToList();
        var bytesPerRow = OutputPartPlan.BytesPerRow(pca.Dimension, pca.K);
        var parts = OutputPartPlan.Plan(rowsPerBatch, spec.EffectivePartSizeBytes, bytesPerRow, Math.Max(1, dispatcher.ReadyCapacity));
        await Timed("projection", () => dispatcher.RunAsync(Enumerable.Range(0, parts.Count),
            (worker, part) => worker.Project(new ProjectRequest(JobId, part, spec.Output)
            {
                Batches = parts[part],
                Attempts = [.. parts[part].Select(b => featurized.TryGetValue(b, out var f) ? f.Result.Attempt : Guid.Empty)],
                RowGroupRows = OutputPartPlan.RowGroupRows(bytesPerRow),
            }),
            (result, _) =>
            {
                if (result.Points is { } sample && points.Count < MaxScatterPoints)
                {
                    points.AddRange(sample.Take(MaxScatterPoints - points.Count).Select(p => p.ToPipeline()));
                }

                return Task.CompletedTask;
            },
            stop));
        if (stop.IsCancellationRequested)
        {
            await StopAsync();
            return;
        }

        // write
        await SetPhaseAsync(JobPhase.Writing);
        await Timed("write", async () =>
        {
            await output.Store.WriteAsync(OutputLayout.VariancePlot, await varianceCurve, stop);
            await output.Store.WriteAsync(OutputLayout.ScatterPlot, plots.Scatter(points), stop);
            await errorsWritten;

            // An earlier attempt, or the finished job this one overwrites, may have cut more parts.
            await output.DeletePartsFromAsync(parts.Count, stop);
        });

        await kept;
        State.FinishedUtc = DateTime.UtcNow;
        State.Summary = BuildSummary(spec, listing, pca, modelSha256, resumed.Count);
        await output.WriteSummaryAsync(State.Summary, stop);
        await output.WriteSuccessAsync(stop);
        await FinishAsync(JobPhase.Completed, error: null);
        LogCompleted(JobId, State.ImagesDone, pca.K, State.Summary.ImagesPerSecond, State.Attempts.Count);
    }

    /// <summary>
    /// A cancelled job ends Cancelled. One whose silo is stopping stores nothing more: the record it stored last is
    /// where the resumed attempt starts, and a write now could race that attempt's first writes.
    /// </summary>
    private async Task StopAsync()
    {
        if (_cancelRequested)
        {
            await FinishAsync(JobPhase.Cancelled, error: null);
            LogCancelled(JobId);
        }
        else
        {
            LogInterrupted(JobId, "the silo is stopping");
        }
    }

    private async Task<Dictionary<int, BatchCommit>> FindResumableAsync(JobOutput output, JobPlan plan, CancellationToken stop)
    {
        var previous = await output.ReadPlanAsync(stop);
        if (previous is null)
        {
            return [];
        }

        if (!previous.CanResume(plan))
        {
            LogDifferentPlan(JobId, plan.Output);
            await output.ClearAsync(keepPlan: true, stop);
            return [];
        }

        var committed = await output.FindCommittedBatchesAsync(plan, new BatchFeatureReader(stores), stop);
        LogResumingBatches(JobId, committed.Count, plan.Batches);
        return committed;
    }

    /// <summary>
    /// How the listing tells the images the feature store holds (<see cref="BatchCutter"/>): as an earlier attempt of
    /// this job told them, when its plan is in the output, so that the same listing is cut the same way and its batches
    /// resume, though the store now holds what that attempt featurized; else by the store itself. Null cuts in listing
    /// order.
    /// </summary>
    private async Task<Func<int, ImageEntry, bool>?> CutTestAsync(JobOutput output, JobSpec spec, StorageLocation featureStore, string modelSha256, CancellationToken stop)
    {
        try
        {
            if (await output.ReadPlanAsync(stop) is { } earlier && earlier.CutsFor(spec.Input.Uri, spec.BatchSize, modelSha256))
            {
                if (earlier.HeldByStore is null)
                {
                    return null;
                }

                var held = Convert.FromBase64String(earlier.HeldByStore);
                return (position, _) => BatchCutter.IsHeld(held, position);
            }
        }
        catch (Exception e) when (e is FormatException or IOException or StorageException)
        {
            // An earlier plan that does not read resumes nothing; the cut may then follow the store.
        }

        return await InFeatureStoreAsync(featureStore, modelSha256, stop);
    }

    /// <summary>
    /// Whether the feature store holds an image by its listed version, as this silo's copy of the store's index has it;
    /// null when the index does not load (the listing then cuts batches in listing order, and the featurizers still
    /// find what they can).
    /// </summary>
    private async Task<Func<int, ImageEntry, bool>?> InFeatureStoreAsync(StorageLocation featureStore, string modelSha256, CancellationToken stop)
    {
        try
        {
            var (_, index) = await featureStores.OpenAsync(featureStore, new FeatureStoreKey(modelSha256, ImagePreprocessor.Version), JobId, stop);
            return (_, image) => ImageVersionKey.Of(image) is { } version && index.TryFindVersion(version, out UInt128 _, out FeatureStoreEntry _);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogIndexNotLoaded(JobId, e.Message.ReplaceLineEndings(" "));
            return null;
        }
    }

    /// <summary>
    /// Has each silo load the feature store's index now, so the index is ready by the first batch rather than loaded
    /// then. Never fails the job: a silo that did not load it loads it at its first batch, as without this call.
    /// </summary>
    private async Task OpenFeatureStoreAsync(IReadOnlyList<string> silos, StorageLocation? featureStore, string modelSha256)
    {
        if (featureStore is null)
        {
            return;
        }

        try
        {
            await Task.WhenAll(silos.Select(s => GrainFactory.GetGrain<ISiloRouterGrain>(s).OpenFeatureStore(JobId, featureStore.ToContract(), modelSha256)));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogStoreOpenFailed(JobId, e.Message);
        }
    }

    /// <summary>
    /// Drops what silos hold for the job (statistics, features kept for the projection): at an attempt's start, as an
    /// earlier attempt's are not this one's, and when the job ends.
    /// </summary>
    private async Task ForgetPartialsAsync()
    {
        try
        {
            var hosts = await GrainFactory.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true);
            await Task.WhenAll(hosts.Keys.Select(s => GrainFactory.GetGrain<ISiloRouterGrain>(s.ToParsableString()).ForgetJob(JobId)));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Harmless: a silo's stale partial covers batches this attempt did not accept from it, so it is refused at fit
            // time; features it kept answer only to the featurize calls that made them, and within the cache's bound.
            LogForgetFailed(JobId, e.Message);
        }
    }

    private async Task FinishAsync(JobPhase phase, string? error)
    {
        await ForgetPartialsAsync();

        // The output's lock goes before the phase is told: whoever sees a job ended finds its output as it stays,
        // with nothing of the job's left to disappear. Lost between the two, the job is resumed and claims it again.
        await ReleaseOutputAsync();
        State.Phase = phase;
        State.Error = error;
        State.FinishedUtc ??= DateTime.UtcNow;
        await SaveAsync(force: true);
        await UnregisterResumeReminderAsync();
        await RecordInRegistryAsync();

        // Keep the finished job answerable from memory for a while; its record answers after that.
        DelayDeactivation(TimeSpan.FromHours(1));
    }

    /// <summary>Ends the job without letting a second storage failure hide the first error.</summary>
    private async Task FinishQuietlyAsync(JobPhase phase, string error)
    {
        try
        {
            await FinishAsync(phase, error);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            State.Phase = phase;
            State.Error = error;
            LogRecordNotSaved(JobId, e.Message);
        }
    }

    private async Task SetPhaseAsync(JobPhase phase)
    {
        State.Phase = phase;
        await SaveAsync(force: true);
    }

    private async Task SaveAsync(bool force)
    {
        if (!force && DateTime.UtcNow - _lastSave < options.Value.ProgressSaveInterval)
        {
            return;
        }

        await _saving.WaitAsync();
        try
        {
            var clock = Stopwatch.StartNew();
            await record.WriteStateAsync();
            _lastSave = DateTime.UtcNow;
            if (State.Attempts.Count > 0)
            {
                // Counted into the record's next write: the figure describes the attempt, a write late is fine.
                UpdateAttempt(a => a with { RecordWriteSeconds = a.RecordWriteSeconds + clock.Elapsed.TotalSeconds });
            }
        }
        finally
        {
            _saving.Release();
        }
    }

    private async Task UnregisterResumeReminderAsync()
    {
        if (await this.GetReminder(ResumeReminder) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    private async Task RecordInRegistryAsync()
    {
        try
        {
            await GrainFactory.GetGrain<IJobRegistryGrain>(0).Record(new JobListing(
                JobId, State.Spec!.Input.Uri, State.Spec.Output.Uri, State.Phase, State.SubmittedUtc, State.FinishedUtc));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The job's own record is the truth; the registry is an index and catches up at the next phase change.
            LogRegistryNotUpdated(JobId, e.Message);
        }
    }

    private async Task ReleaseOutputAsync()
    {
        try
        {
            await Claim().ReleaseAsync(stores.Open(State.Spec!.Output.ToPipeline()), JobId);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A lock left behind names a finished job, which the next job to this output takes over.
            LogLockNotReleased(JobId, e.Message);
        }
    }

    private void UpdateAttempt(Func<JobAttempt, JobAttempt> change) => State.Attempts[^1] = change(State.Attempts[^1]);

    private JobSummary BuildSummary(JobSpec spec, ListingResult listing, PcaModel pca, string modelSha256, int batchesResumed)
    {
        var totalSeconds = Math.Max(1e-9, (State.FinishedUtc!.Value - State.SubmittedUtc).TotalSeconds);
        var featurizeSeconds = State.Attempts.Sum(a => a.FeaturizeSeconds);
        return new JobSummary
        {
            JobId = JobId,
            Input = spec.Input.Uri,
            Output = spec.Output.Uri,
            ImagesFound = State.ImagesTotal,
            ImagesSucceeded = State.ImagesDone,
            ImagesFailed = State.ImagesFailed,
            Labels = listing.Labels,
            Batches = listing.Batches,
            BatchSize = spec.BatchSize,
            K = pca.K,
            VarianceKept = pca.VarianceKept,
            Threshold = spec.Selection.FixedK is null ? spec.Selection.Threshold : null,
            PhaseSeconds = new Dictionary<string, double>(_phaseSeconds),
            TotalSeconds = totalSeconds,
            ImagesPerSecond = State.ImagesTotal / totalSeconds,
            FeaturizeImagesPerSecond = featurizeSeconds > 0 ? State.Attempts.Sum(a => a.ImagesFeaturized) / featurizeSeconds : 0,
            ModelSha256 = modelSha256,
            BatchesPerSilo = new Dictionary<string, int>(State.BatchesPerSilo),
            BatchesResumed = batchesResumed,
            Attempts = State.Attempts.Count,
            AttemptHistory = State.Attempts.ToList(),
            SubmittedUtc = State.SubmittedUtc,
            FinishedUtc = State.FinishedUtc,
            ImagesFeaturized = State.ImagesDone - State.ImagesReused,
            ImagesReused = State.ImagesReused,
            FeatureStore = State.FeatureStore,
            StatisticsRowsReused = _statisticsRowsReused,
        };
    }

    private async Task<T> Timed<T>(string phase, Func<Task<T>> action)
    {
        var clock = Stopwatch.StartNew();
        var result = await action();
        _phaseSeconds[phase] = clock.Elapsed.TotalSeconds;
        return result;
    }

    private Task Timed(string phase, Func<Task> action) => Timed(phase, async () =>
    {
        await action();
        return true;
    });

    private JobStatus Snapshot()
    {
        var attempt = State.Attempts.Count > 0 ? State.Attempts[^1] : null;
        var seconds = _featurizeClock.IsRunning ? _featurizeClock.Elapsed.TotalSeconds : attempt?.FeaturizeSeconds ?? 0;
        return new JobStatus(
            JobId,
            State.Phase,
            State.ImagesTotal,
            State.ImagesDone,
            State.ImagesFailed,
            State.BatchesTotal,
            State.BatchesDone,
            seconds > 0 ? (attempt?.ImagesFeaturized ?? 0) / seconds : 0,
            State.Error,
            State.Summary)
        {
            Attempts = State.Attempts.Count,
            SubmittedUtc = State.Spec is null ? null : State.SubmittedUtc,
            FinishedUtc = State.FinishedUtc,
            Input = State.Spec?.Input.Uri,
            Output = State.Spec?.Output.Uri,
            Running = _run is not null,
            ImagesReused = State.ImagesReused,
            Silo = _run is null && State.Driver is { } driver && !State.IsFinished ? driver : silo.SiloAddress.ToParsableString(),
        };
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} completed: {Images} images, k={K}, {Rate:F1} images/s, {Attempts} attempt(s)")]
    private partial void LogCompleted(string jobId, int images, int k, double rate, int attempts);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {JobId} failed")]
    private partial void LogFailed(Exception exception, string jobId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} cancelled; its stored batches are kept for a resubmission")]
    private partial void LogCancelled(string jobId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} is driven by silo {Driver}; this activation leaves it alone")]
    private partial void LogDrivenElsewhere(string jobId, string driver);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: its running activation is deactivated ({Code}: {Reason})")]
    private partial void LogDeactivating(string jobId, string code, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} resuming (attempt {Attempt}): no silo was driving it")]
    private partial void LogResuming(string jobId, int attempt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} interrupted on this silo ({Reason}); it resumes where a silo is up")]
    private partial void LogInterrupted(string jobId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: attempt {Attempt} lost a silo it called ({Reason}); the next attempt resumes its stored batches")]
    private partial void LogAttemptLostSilo(string jobId, int attempt, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: another activation stored a newer record, this one stops ({Reason})")]
    private partial void LogSupplanted(string jobId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: {Output} holds unfinished work of a different plan; starting over")]
    private partial void LogDifferentPlan(string jobId, string output);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: resuming, {Done} of {Batches} batches already stored")]
    private partial void LogResumingBatches(string jobId, int done, int batches);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: silos did not load the feature store's index ahead of their first batch: {Reason}")]
    private partial void LogStoreOpenFailed(string jobId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: the feature store's index did not load here; batches are cut in listing order: {Reason}")]
    private partial void LogIndexNotLoaded(string jobId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: silos not told to drop earlier partials: {Reason}")]
    private partial void LogForgetFailed(string jobId, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {JobId}: its final record could not be stored: {Reason}")]
    private partial void LogRecordNotSaved(string jobId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: the output's lock was not released: {Reason}")]
    private partial void LogLockNotReleased(string jobId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: the job registry was not updated: {Reason}")]
    private partial void LogRegistryNotUpdated(string jobId, string reason);
}
