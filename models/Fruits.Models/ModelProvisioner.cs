using System.Security.Cryptography;

namespace Fruits.Models;

/// <summary>Where the featurizer model lives and its sha256 (recorded in every job summary).</summary>
public sealed record ModelInfo(string Path, string Sha256);

/// <summary>Builds models/mobilenet_v2_1.0_224.onnx from the raw weights on first use.</summary>
public sealed class ModelProvisioner
{
    /// <summary>
    /// Returns the model at <paramref name="modelPath"/>, building it first when missing from the weights in
    /// <paramref name="weightsDirectory"/> (verified against the manifest) or, when that is null, downloaded
    /// from the public repository named in PROVENANCE.md (also sha256-verified).
    /// </summary>
    public async Task<ModelInfo> EnsureAsync(string modelPath, string? weightsDirectory, CancellationToken cancellationToken = default)
    {
        modelPath = Path.GetFullPath(modelPath);
        if (!File.Exists(modelPath))
        {
            var bytes = await BuildAsync(weightsDirectory, cancellationToken);
            Directory.CreateDirectory(Path.GetDirectoryName(modelPath)!);
            // Temp + rename: two processes building at once each write a whole file; either one wins.
            var temporary = $"{modelPath}.{Guid.NewGuid():N}.tmp";
            await File.WriteAllBytesAsync(temporary, bytes, cancellationToken);
            File.Move(temporary, modelPath, overwrite: true);
        }

        await using var stream = File.OpenRead(modelPath);
        return new ModelInfo(modelPath, Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken)));
    }

    public static async Task<byte[]> BuildAsync(string? weightsDirectory, CancellationToken cancellationToken = default)
    {
        WeightSet weights;
        if (weightsDirectory is not null)
        {
            weights = await WeightSet.FromDirectoryAsync(weightsDirectory, cancellationToken);
        }
        else
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(5) };
            weights = await WeightSet.FromGitHubAsync(http, cancellationToken);
        }

        return new MobileNetV2OnnxBuilder().Build(weights);
    }
}
