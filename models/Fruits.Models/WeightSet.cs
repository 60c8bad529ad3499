using System.Security.Cryptography;
using System.Text.Json;

namespace Fruits.Models;

/// <summary>The MobileNetV2 tensors by TF-slim name, every file checked against the manifest's sha256.</summary>
public sealed class WeightSet
{
    /// <summary>The public origin of the same files (PROVENANCE.md), for machines without a local copy.</summary>
    public const string Repository = "JonathanCMitchell/mobilenet_v2_keras";
    public const string Commit = "2c99437b2471d71ad7cae642c8df4238e7e86d92";

    private readonly Dictionary<string, NpyTensor> _tensors;

    private WeightSet(Dictionary<string, NpyTensor> tensors) => _tensors = tensors;

    public NpyTensor this[string slimKey] => _tensors.TryGetValue(slimKey, out var tensor)
        ? tensor
        : throw new KeyNotFoundException($"weights have no tensor '{slimKey}'");

    /// <summary>The manifest shipped inside this assembly (a copy of the shared folder's MANIFEST.json).</summary>
    public static IReadOnlyList<WeightsManifestEntry> EmbeddedManifest()
    {
        using var stream = typeof(WeightSet).Assembly.GetManifestResourceStream("Fruits.Models.weights-manifest.json")
            ?? throw new InvalidOperationException("embedded weights manifest is missing");
        return JsonSerializer.Deserialize<List<WeightsManifestEntry>>(stream)!;
    }

    /// <summary>Loads every present tensor from a folder laid out like ../shared/models/mobilenet_v2_1.0_224.</summary>
    public static async Task<WeightSet> FromDirectoryAsync(string directory, CancellationToken cancellationToken = default)
    {
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"weights folder {directory} does not exist");
        }

        return await LoadAsync(EmbeddedManifest(), file => File.ReadAllBytesAsync(Path.Combine(directory, file), cancellationToken));
    }

    /// <summary>Downloads the tensors from the public repository at the pinned commit, sha256-verified.</summary>
    public static async Task<WeightSet> FromGitHubAsync(HttpClient http, CancellationToken cancellationToken = default) =>
        await LoadAsync(EmbeddedManifest(), file =>
            http.GetByteArrayAsync($"https://raw.githubusercontent.com/{Repository}/{Commit}/{file}", cancellationToken));

    private static async Task<WeightSet> LoadAsync(IReadOnlyList<WeightsManifestEntry> manifest, Func<string, Task<byte[]>> read)
    {
        var tensors = new Dictionary<string, NpyTensor>(StringComparer.Ordinal);
        foreach (var entry in manifest.Where(e => e.Present))
        {
            byte[] bytes;
            try
            {
                bytes = await read(entry.File);
            }
            catch (Exception e) when (e is IOException or HttpRequestException or UnauthorizedAccessException)
            {
                throw new InvalidDataException($"weights file {entry.File} cannot be read: {e.Message}", e);
            }

            var actual = Convert.ToHexStringLower(SHA256.HashData(bytes));
            if (actual != entry.Sha256)
            {
                throw new InvalidDataException($"weights file {entry.File} has sha256 {actual}, expected {entry.Sha256}");
            }

            var tensor = NpyReader.Read(bytes, entry.File);
            if (!tensor.Shape.SequenceEqual(entry.Shape))
            {
                throw new InvalidDataException($"weights file {entry.File} has shape ({string.Join(",", tensor.Shape)}), manifest says ({string.Join(",", entry.Shape)})");
            }

            tensors[entry.SlimKey] = tensor;
        }

        return new WeightSet(tensors);
    }
}
