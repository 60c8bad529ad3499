namespace Fruits.Grains;

/// <summary>What a silo must have before it takes work, bound from configuration section "Fruits:Readiness".</summary>
public sealed class SiloReadinessOptions
{
    public const string Section = "Fruits:Readiness";

    /// <summary>
    /// The sha256 (hex) of the model every silo of the cluster must featurize with; empty = any model that loads.
    /// A silo with another model would give features that do not belong in the same PCA, so it reports not ready.
    /// </summary>
    public string ExpectedModelSha256 { get; set; } = "";
}
