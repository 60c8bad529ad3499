using System.Security.Cryptography;
using Fruits.Models;

namespace Fruits.UnitTests.Fidelity;

public sealed class ModelBuildTests
{
    [Fact]
    public async Task The_build_is_deterministic()
    {
        var first = await ModelProvisioner.BuildAsync(TestPaths.WeightsDirectory);
        var second = await ModelProvisioner.BuildAsync(TestPaths.WeightsDirectory);
        Assert.Equal(SHA256.HashData(first), SHA256.HashData(second));
        Assert.True(first.Length > 8_000_000, "all 2.26M weights are in the file");
    }

    [Fact]
    public async Task A_corrupted_weights_file_is_refused_with_its_name()
    {
        using var temp = new TempDirectory();
        foreach (var file in Directory.EnumerateFiles(TestPaths.WeightsDirectory, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(temp.Path, Path.GetRelativePath(TestPaths.WeightsDirectory, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        var victim = Path.Combine(temp.Path, "weights", "expanded_conv_5_expand_weights.npy");
        var bytes = File.ReadAllBytes(victim);
        bytes[^1] ^= 0x40;
        File.WriteAllBytes(victim, bytes);

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => new ModelProvisioner().EnsureAsync(temp.Combine("m.onnx"), temp.Path));
        Assert.Contains("expanded_conv_5_expand_weights.npy", error.Message);
        Assert.Contains("sha256", error.Message);
        Assert.False(File.Exists(temp.Combine("m.onnx")));
    }

    [Fact]
    public void Npy_headers_are_parsed_and_bad_files_refused()
    {
        var tensor = NpyReader.Read(File.ReadAllBytes(Path.Combine(TestPaths.WeightsDirectory, "weights", "Conv_weights.npy")), "Conv_weights.npy");
        Assert.Equal([3, 3, 3, 32], tensor.Shape);
        Assert.Equal(864, tensor.Data.Length);
        Assert.Throws<InvalidDataException>(() => NpyReader.Read("not numpy at all"u8, "x.npy"));
    }
}
