using Fruits.Pipeline.Storage;

namespace Fruits.Grains;

/// <summary>Rebuild one finished batch's statistics from its stored features part and merge them.</summary>
[GenerateSerializer, Immutable, Alias("Fruits.RestateRequest")]
public sealed record RestateRequest(
    [property: Id(0)] string JobId,
    [property: Id(1)] int BatchIndex,
    [property: Id(2)] StorageLocation Output);
