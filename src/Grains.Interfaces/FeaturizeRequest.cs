using Fruits.Pipeline.Listing;
using Fruits.Pipeline.Storage;

namespace Fruits.Grains;

/// <summary>One batch of the plan: featurize these images and store the batch's part.</summary>
[GenerateSerializer, Immutable, Alias("Fruits.FeaturizeRequest")]
public sealed record FeaturizeRequest(
    [property: Id(0)] string JobId,
    [property: Id(1)] int BatchIndex,
    [property: Id(2)] StorageLocation Input,
    [property: Id(3)] StorageLocation Output,
    [property: Id(4)] IReadOnlyList<ImageEntry> Images);
