namespace Fruits.Models;

/// <summary>
/// Where the model and its raw weights live by default: the repository's models/ folder and the
/// ../shared folder beside the checkout; FRUITS_MODEL_PATH and FRUITS_WEIGHTS_DIR override them.
/// </summary>
public static class ModelLocations
{
    public const string ModelFileName = "mobilenet_v2_1.0_224.onnx";

    public static string DefaultModelPath() =>
        Environment.GetEnvironmentVariable("FRUITS_MODEL_PATH") is { Length: > 0 } path
            ? Path.GetFullPath(path)
            : Path.Combine(RepoRoot() ?? AppContext.BaseDirectory, "models", ModelFileName);

    /// <summary>The local weights folder, or null when none is found (the builder then downloads them).</summary>
    public static string? DefaultWeightsDirectory()
    {
        if (Environment.GetEnvironmentVariable("FRUITS_WEIGHTS_DIR") is { Length: > 0 } configured)
        {
            return Path.GetFullPath(configured);
        }

        var shared = SharedRoot();
        var candidate = shared is null ? null : Path.Combine(shared, "models", "mobilenet_v2_1.0_224");
        return candidate is not null && Directory.Exists(candidate) ? candidate : null;
    }

    /// <summary>The ../shared folder beside the repository, when there is one.</summary>
    public static string? SharedRoot()
    {
        var repo = RepoRoot();
        var shared = repo is null ? null : Path.GetFullPath(Path.Combine(repo, "..", "shared"));
        return shared is not null && Directory.Exists(shared) ? shared : null;
    }

    /// <summary>The folder holding Fruits.Orleans.sln, looked for above the working directory and the binaries.</summary>
    public static string? RepoRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Fruits.Orleans.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        return null;
    }
}
