namespace Fruits.Grains.Interfaces;

/// <summary>
/// Whether a silo can featurize, and how many batches it takes at once. A silo that cannot build an ONNX session
/// from its model, or whose model is not the one the cluster expects, is not ready and offers no capacity, so a job
/// sends it nothing rather than losing batches to it one by one.
/// </summary>
/// <param name="Capacity">Batches the silo runs at once; 0 when not ready.</param>
/// <param name="Ready">True when the silo built (and ran) a session from the expected model.</param>
/// <param name="Reason">Why the silo is not ready, on one line; null when ready.</param>
/// <param name="ModelSha256">The sha256 of the silo's model file, when it could be read.</param>
[GenerateSerializer, Immutable, Alias("Fruits.SiloReadiness")]
public sealed record SiloReadiness(
    [property: Id(0)] int Capacity,
    [property: Id(1)] bool Ready,
    [property: Id(2)] string? Reason,
    [property: Id(3)] string? ModelSha256);
