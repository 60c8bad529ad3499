using System.Diagnostics;
using Fruits.Grains.Interfaces;
using Fruits.Pipeline.Classifying;
using Fruits.Pipeline.Featurizing;
using Fruits.Pipeline.Imaging;
using Fruits.Pipeline.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace Fruits.Grains;

/// <summary>
/// Decodes and preprocesses a photo exactly as a job's featurizer does (same <see cref="ImagePreprocessor"/>, same
/// limits), runs it through one of the silo's warm sessions, projects it with the output's pca_model.json and
/// lets its nearest indexed images vote on the label. A local worker: the silo runs as many as it has cores.
/// </summary>
[StatelessWorker]
public sealed partial class ClassifyGrain(
    FeaturizerSessionPool sessions,
    PcaModelCache models,
    IOptions<FeaturizerOptions> featurizerOptions,
    IOptions<ClassifyOptions> classifyOptions,
    ILogger<ClassifyGrain> logger) : Grain, IClassifyGrain
{
    private readonly ImagePreprocessor _preprocessor = new(featurizerOptions.Value.ImageLimits);
    private readonly float[] _features = new float[OnnxFeaturizer.FeatureLength];

    public async Task<ClassifyResult> Classify(string output, byte[] image, int top)
    {
        var clock = Stopwatch.StartNew();
        var options = classifyOptions.Value;
        if (top < 1 || top > options.MaxTop)
        {
            return ClassifyResult.Failed(ClassifyProblem.BadRequest, $"top must be within [1, {options.MaxTop}], got {top}");
        }

        var index = GrainFactory.GetGrain<IOutputIndexGrain>(output);
        var summary = await index.Open();
        if (!summary.Found)
        {
            return ClassifyResult.Failed(ClassifyProblem.OutputNotFound, summary.Problem!);
        }

        var session = await sessions.RentAsync();
        try
        {
            _preprocessor.Preprocess(image, session.InputSlot(0));
            session.Run(1);
            session.Features(0).CopyTo(_features);
        }
        catch (ImageDecodeException e)
        {
            return ClassifyResult.Failed(ClassifyProblem.BadImage, e.Message.ReplaceLineEndings(" "));
        }
        finally
        {
            sessions.Return(session);
        }

        var projector = await models.GetProjectorAsync(StorageLocation.Parse(output));
        var query = new float[projector.Model.K];
        projector.Project(_features, 1, query);
        var nearest = await index.Search(query, Math.Max(top, options.Neighbours));
        var votes = LabelVote.Tally(nearest.Take(options.Neighbours).Select(n => new NearestRow(n.Path, n.Label, n.Distance)).ToList(), top);
        LogClassified(output, votes.Count > 0 ? votes[0].Label : "", clock.Elapsed.TotalMilliseconds);
        return new ClassifyResult(
            ClassifyProblem.None,
            null,
            votes.Select(v => new LabelScore(v.Label, v.Score, v.Votes)).ToList(),
            nearest.Take(top).ToList(),
            query.Length,
            summary.Rows,
            clock.Elapsed.TotalSeconds);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Classified a photo against {Output}: {Label} in {Milliseconds:F1} ms")]
    private partial void LogClassified(string output, string label, double milliseconds);
}
