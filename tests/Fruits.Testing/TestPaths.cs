namespace Fruits.Testing;

/// <summary>Where the repository and the read-only ../shared folder beside it are.</summary>
public static class TestPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();
    public static string SharedRoot => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));
    public static string TestImagesRoot => Path.Combine(SharedRoot, "data", "fruits-360", "Test");
    public static string WeightsDirectory => Path.Combine(SharedRoot, "models", "mobilenet_v2_1.0_224");

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Fruits.Orleans.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("Fruits.Orleans.sln not found above " + AppContext.BaseDirectory);
    }
}
