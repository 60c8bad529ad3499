namespace Fruits.Models;

/// <summary>Where the featurizer model lives and its sha256 (recorded in every job summary).</summary>
public sealed record ModelInfo(string Path, string Sha256);

/// <summary>Builds models/mobilenet_v2_1.0_224.onnx from the raw weights on first use.</summary>
public sealed class ModelProvisioner
{
    /// <summary>
    /// Returns the model at <paramref name="modelPath"/>, building it first when missing from the weights in
    /// <paramref name="weightsDirectory"/> (verified against MANIFEST.json) or, when that is null or absent,
    /// from the public repository named in PROVENANCE.md (also sha256-verified).
    /// </summary>
    public Task<ModelInfo> EnsureAsync(string modelPath, string? weightsDirectory, CancellationToken cancellationToken = default)
        => throw new NotImplementedException();
}
