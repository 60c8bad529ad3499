namespace Fruits.Pipeline.Classifying;

/// <summary>The scatter-gather step: each shard answers its own nearest rows, and the overall nearest are the best of those.</summary>
public static class NearestMerge
{
    /// <summary>The <paramref name="count"/> nearest of all shards' answers; ties are broken by path so the answer does not depend on which shard replied first.</summary>
    public static IReadOnlyList<NearestRow> Merge(IEnumerable<IReadOnlyList<NearestRow>> shards, int count)
    {
        ArgumentNullException.ThrowIfNull(shards);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        return shards.SelectMany(s => s)
            .OrderBy(r => r.Distance)
            .ThenBy(r => r.Path, StringComparer.Ordinal)
            .Take(count)
            .ToList();
    }
}
