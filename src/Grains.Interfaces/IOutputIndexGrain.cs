namespace Fruits.Grains.Interfaces;

/// <summary>
/// A finished output's rows, in memory for nearest-neighbour queries: keyed by the output's location, loaded on the
/// first call and shared by every query after it. It holds no rows itself: it splits the output's parts into
/// shards (<see cref="IIndexShardGrain"/>), asks them all and merges their answers.
/// </summary>
[Alias("Fruits.IOutputIndexGrain")]
public interface IOutputIndexGrain : IGrainWithStringKey
{
    /// <summary>Loads the index when it is not loaded yet; a summary with a problem when there is no finished job.</summary>
    [Alias("Open"), ResponseTimeout("00:10:00")]
    Task<IndexSummary> Open();

    /// <summary>The <paramref name="count"/> rows nearest to <paramref name="query"/> (PCA features), nearest first.</summary>
    [Alias("Search"), ResponseTimeout("00:10:00")]
    Task<IReadOnlyList<NearestImage>> Search(float[] query, int count);

    /// <summary>Whether <paramref name="path"/> is an image of this output: thumbnails are served for these paths only.</summary>
    [Alias("Contains"), ResponseTimeout("00:10:00")]
    Task<bool> Contains(string path);
}
