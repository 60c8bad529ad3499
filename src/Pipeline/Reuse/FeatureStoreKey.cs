namespace Fruits.Pipeline.Reuse;

/// <summary>
/// What, besides an image's bytes, decides its features: the model file and the preprocessing. Each pair has its
/// own namespace in a store, so features of another model or preprocessing are never found, let alone reused.
/// </summary>
public sealed record FeatureStoreKey(string ModelSha256, int PreprocessingVersion)
{
    /// <summary>The namespace's folder under the store's root.</summary>
    public string Prefix => $"{ModelSha256.ToLowerInvariant()}/preprocessing-{PreprocessingVersion}";
}
