using System.Globalization;

namespace Fruits.Pipeline.Output;

/// <summary>
/// What a featurized batch produced, stored in its features part's footer. The features part is written last,
/// after the batch's errors part, so a features part whose footer reads is the batch's commit record: its images
/// are all accounted for, as rows here or as rows of the errors part.
/// </summary>
/// <param name="Listed">Images in the batch manifest.</param>
/// <param name="Succeeded">Images featurized: the part's rows.</param>
/// <param name="Failed">Images recorded in the batch's errors part (0 = no errors part).</param>
/// <param name="Reused">Of the succeeded images, those whose features came from the feature store.</param>
public sealed record BatchCommit(int Listed, int Succeeded, int Failed, int Reused = 0)
{
    public const string ListedKey = "fruits.batch.images_listed";
    public const string SucceededKey = "fruits.batch.images_succeeded";
    public const string FailedKey = "fruits.batch.images_failed";
    public const string ReusedKey = "fruits.batch.images_reused";
    public const string FeatureStoreKey = "fruits.batch.feature_store";
    public const string SegmentsKey = "fruits.batch.feature_segments";

    /// <summary>
    /// Set when the part points at the feature-store namespace here, in <see cref="Segments"/>, for its reused rows
    /// (and holds the features of the others); null when every row's features are in the part.
    /// </summary>
    public string? FeatureStore { get; init; }

    /// <summary>The segments of <see cref="FeatureStore"/> the part's reused rows point at; empty when the features are in the part.</summary>
    public IReadOnlyList<string> Segments { get; init; } = [];

    /// <summary>Parquet key-value metadata for the part's footer.</summary>
    public Dictionary<string, string> ToMetadata()
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [ListedKey] = Listed.ToString(CultureInfo.InvariantCulture),
            [SucceededKey] = Succeeded.ToString(CultureInfo.InvariantCulture),
            [FailedKey] = Failed.ToString(CultureInfo.InvariantCulture),
            [ReusedKey] = Reused.ToString(CultureInfo.InvariantCulture),
        };
        if (FeatureStore is not null)
        {
            metadata[FeatureStoreKey] = FeatureStore;
            metadata[SegmentsKey] = string.Join(',', Segments);
        }

        return metadata;
    }

    /// <summary>The commit in a footer, or null when it is absent or does not add up (succeeded must be the part's rows).</summary>
    public static BatchCommit? FromMetadata(IReadOnlyDictionary<string, string>? metadata, long rows)
    {
        if (metadata is null
            || !TryCount(metadata, ListedKey, out var listed)
            || !TryCount(metadata, SucceededKey, out var succeeded)
            || !TryCount(metadata, FailedKey, out var failed)
            || succeeded != rows
            || (long)succeeded + failed != listed)
        {
            return null;
        }

        // Parts written before the feature store count none reused.
        var reused = TryCount(metadata, ReusedKey, out var stored) && stored <= succeeded ? stored : 0;
        if (!metadata.TryGetValue(FeatureStoreKey, out var featureStore))
        {
            return new BatchCommit(listed, succeeded, failed, reused);
        }

        // A part that points into the store must name where, and have at least one row reused from it.
        var segments = metadata.TryGetValue(SegmentsKey, out var list) ? list.Split(',', StringSplitOptions.RemoveEmptyEntries) : [];
        return featureStore.Length == 0 || segments.Length == 0 || reused == 0
            ? null
            : new BatchCommit(listed, succeeded, failed, reused) { FeatureStore = featureStore, Segments = segments };
    }

    private static bool TryCount(IReadOnlyDictionary<string, string> metadata, string key, out int value)
    {
        value = 0;
        return metadata.TryGetValue(key, out var text) && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }
}
