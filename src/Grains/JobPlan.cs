namespace Fruits.Grains;

/// <summary>
/// _job/plan.json: enough to recognise, after a restart, that an output folder holds this job's
/// unfinished work (same input listing, batching and model) and resume it instead of starting over.
/// </summary>
/// <remarks>
/// The listing's hash covers the images as cut into batches, not only as listed: with a feature store, which images
/// share a batch depends on what the store held when the listing ran (<see cref="Pipeline.Listing.BatchCutter"/>), so
/// an attempt after others have stored more may cut the same listing otherwise, and must then trust no batch stored
/// under the earlier cut. So the plan also keeps which images the cut took as held by the store
/// (<see cref="HeldByStore"/>), and a later attempt cuts by that instead of by the store as it finds it.
/// </remarks>
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
    string ListingSha256,
    string? HeldByStore = null)
{
    /// <summary>Whether an attempt with this input, batching and model cuts its listing as this plan's was cut (<see cref="HeldByStore"/>).</summary>
    public bool CutsFor(string input, int batchSize, string modelSha256) => Input == input && BatchSize == batchSize && ModelSha256 == modelSha256;

    public bool CanResume(JobPlan other) =>
        Input == other.Input && BatchSize == other.BatchSize && ModelSha256 == other.ModelSha256
        && Images == other.Images && Batches == other.Batches && ListingSha256 == other.ListingSha256;
}
