namespace Fruits.Grains;

/// <summary>How photos are classified against an output's index, bound from configuration section "Fruits:Classify".</summary>
public sealed class ClassifyOptions
{
    public const string Section = "Fruits:Classify";

    /// <summary>Nearest images that vote on the label (at least the number of images answered).</summary>
    public int Neighbours { get; set; } = 10;

    /// <summary>The largest <c>top</c> a request may ask for.</summary>
    public int MaxTop { get; set; } = 50;

    /// <summary>
    /// Rows one index shard holds at most (whole parts are never split). At the default, the Test split is one
    /// shard; a larger output spreads its shards over the cluster's silos.
    /// </summary>
    public int RowsPerShard { get; set; } = 250_000;

    /// <summary>How often a loaded index checks that its output was not rewritten since (one metadata read).</summary>
    public TimeSpan RecheckInterval { get; set; } = TimeSpan.FromSeconds(30);
}
