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

    /// <summary>Parquet key-value metadata for the part's footer.</summary>
    public Dictionary<string, string> ToMetadata() => new(StringComparer.Ordinal)
    {
        [ListedKey] = Listed.ToString(CultureInfo.InvariantCulture),
        [SucceededKey] = Succeeded.ToString(CultureInfo.InvariantCulture),
        [FailedKey] = Failed.ToString(CultureInfo.InvariantCulture),
        [ReusedKey] = Reused.ToString(CultureInfo.InvariantCulture),
    };

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
        return new BatchCommit(listed, succeeded, failed, reused);
    }

    private static bool TryCount(IReadOnlyDictionary<string, string> metadata, string key, out int value)
    {
        value = 0;
        return metadata.TryGetValue(key, out var text) && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }
}
