namespace Fruits.Grains.Interfaces;

/// <summary>Some of an output's parts in memory, searched exactly; keyed by the output, its version and the shard's number.</summary>
[Alias("Fruits.IIndexShardGrain")]
public interface IIndexShardGrain : IGrainWithStringKey
{
    [Alias("Load"), ResponseTimeout("00:10:00")]
    Task<IndexShardSummary> Load(IndexShardSpec spec);

    [Alias("Search"), ResponseTimeout("00:10:00")]
    Task<IReadOnlyList<NearestImage>> Search(IndexShardSpec spec, float[] query, int count);

    [Alias("Contains"), ResponseTimeout("00:10:00")]
    Task<bool> Contains(IndexShardSpec spec, string path);

    /// <summary>Drops the rows now: the output was rewritten and a shard of its new version holds them.</summary>
    [Alias("Unload")]
    Task Unload();
}
