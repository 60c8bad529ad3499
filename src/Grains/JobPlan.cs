namespace Fruits.Grains;

/// <summary>
/// _job/plan.json: enough to recognise, after a restart, that an output folder holds this job's
/// unfinished work (same input listing, batching and model) and resume it instead of starting over.
/// </summary>
public sealed record JobPlan(
    string JobId,
    string Input,
    string Output,
    int BatchSize,
    double? Threshold,
    int? FixedK,
    string ModelSha256,
    int Images,
    int Batches,
    string ListingSha256)
{
    public bool CanResume(JobPlan other) =>
        Input == other.Input && BatchSize == other.BatchSize && ModelSha256 == other.ModelSha256
        && Images == other.Images && Batches == other.Batches && ListingSha256 == other.ListingSha256;
}
