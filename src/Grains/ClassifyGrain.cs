using System.Diagnostics;
using Fruits.Grains.Interfaces;
using Fruits.Pipeline.Classifying;
using Fruits.Pipeline.Imaging;
using Fruits.Pipeline.Statistics;
using Fruits.Pipeline.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace Fruits.Grains;

/// <summary>
/// Classifies a photo against a finished output: features from <see cref="PhotoFeaturizer"/> (decoded and preprocessed
/// exactly as a job's featurizer does, same limits), projected with the output's pca_model.json, and its nearest
/// indexed images vote on the label. A local worker: the silo runs as many as it has cores.
/// </summary>
/// <remarks>
/// Reentrant: a request spends its time waiting on the featurizer's lanes and on the index, so one worker keeps many
/// in flight and the lanes always have the next photo queued. The output's index summary and PCA model are kept
/// for the activation's life and looked at again after <see cref="ClassifyOptions.RecheckInterval"/> (as often
/// as the index itself looks for a rewritten output), or at once when a search fails: a request then costs one
/// grain call, not two plus a read of storage.
/// </remarks>
[StatelessWorker]
[Reentrant]
public sealed partial class ClassifyGrain(
    PhotoFeaturizer photos,
    PcaModelCache models,
    IOptions<ClassifyOptions> classifyOptions,
    ILogger<ClassifyGrain> logger) : Grain, IClassifyGrain
{
    private Opened? _opened;

    public async Task<ClassifyResult> Classify(string output, byte[] image, int top)
    {
        var clock = Stopwatch.StartNew();
        var options = classifyOptions.Value;
        if (top < 1 || top > options.MaxTop)
        {
            return ClassifyResult.Failed(ClassifyProblem.BadRequest, $"top must be within [1, {options.MaxTop}], got {top}");
        }

        var opened = await OpenAsync(output, options);
        if (!opened.Summary.Found)
        {
            return ClassifyResult.Failed(ClassifyProblem.OutputNotFound, opened.Summary.Problem!);
        }

        float[] features;
        try
        {
            features = await photos.FeaturizeAsync(image);
        }
        catch (ImageDecodeException e)
        {
            return ClassifyResult.Failed(ClassifyProblem.BadImage, e.Message.ReplaceLineEndings(" "));
        }

        var count = Math.Max(top, options.Neighbours);
        var query = Project(opened, features);
        IReadOnlyList<NearestImage> nearest;
        try
        {
            nearest = await opened.Index.Search(query, count);
        }
        catch
        {
            // The output may have been rewritten or removed since it was opened, and the index checks for that on its
            // own clock: its rows can already be the new output's while the model kept here is still the old one's.
            // Both are opened again and the photo searched once more, so a rewrite costs no request an error.
            _opened = null;
            opened = await OpenAsync(output, options);
            if (!opened.Summary.Found)
            {
                return ClassifyResult.Failed(ClassifyProblem.OutputNotFound, opened.Summary.Problem!);
            }

            query = Project(opened, features);
            try
            {
                nearest = await opened.Index.Search(query, count);
            }
            catch
            {
                _opened = null;
                throw;
            }
        }

        var neighbours = new NearestRow[Math.Min(options.Neighbours, nearest.Count)];
        for (var i = 0; i < neighbours.Length; i++)
        {
            neighbours[i] = new NearestRow(nearest[i].Path, nearest[i].Label, nearest[i].Distance);
        }

        var votes = LabelVote.Tally(neighbours, top);
        var labels = new LabelScore[votes.Count];
        for (var i = 0; i < labels.Length; i++)
        {
            labels[i] = new LabelScore(votes[i].Label, votes[i].Score, votes[i].Votes);
        }

        LogClassified(output, votes.Count > 0 ? votes[0].Label : "", clock.Elapsed.TotalMilliseconds);
        return new ClassifyResult(
            ClassifyProblem.None,
            null,
            labels,
            nearest.Count > top ? nearest.Take(top).ToList() : nearest,
            query.Length,
            opened.Summary.Rows,
            clock.Elapsed.TotalSeconds);
    }

    private static float[] Project(Opened opened, float[] features)
    {
        var query = new float[opened.Projector!.Model.K];
        opened.Projector.Project(features, 1, query);
        return query;
    }

    /// <summary>The output's index and PCA model, as kept from an earlier request when recent enough; only a found output whose model matches its index is kept.</summary>
    private async Task<Opened> OpenAsync(string output, ClassifyOptions options)
    {
        var opened = _opened;
        if (opened is not null && opened.Output == output && DateTime.UtcNow - opened.OpenedUtc < options.RecheckInterval)
        {
            return opened;
        }

        var index = GrainFactory.GetGrain<IOutputIndexGrain>(output);
        var openedUtc = DateTime.UtcNow;
        var summary = await index.Open();
        if (!summary.Found)
        {
            _opened = null;
            return new Opened(output, index, summary, null, openedUtc);
        }

        var projector = await models.GetProjectorAsync(StorageLocation.Parse(output));
        opened = new Opened(output, index, summary, projector, openedUtc);
        // A model and an index of different dimensions were read either side of a rewrite: used once, the search
        // says so, and both are read again.
        _opened = projector.Model.K == summary.Dimensions ? opened : null;
        return opened;
    }

    private sealed record Opened(string Output, IOutputIndexGrain Index, IndexSummary Summary, PcaProjector? Projector, DateTime OpenedUtc);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Classified a photo against {Output}: {Label} in {Milliseconds:F1} ms")]
    private partial void LogClassified(string output, string label, double milliseconds);
}
