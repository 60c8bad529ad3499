namespace Fruits.Tests;

/// <summary>TEMPORARY until the model branch lands.</summary>
public static class TestPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();
    public static string SharedRoot => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));
    public static string TestImagesRoot => Path.Combine(SharedRoot, "data", "fruits-360", "Test");

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Fruits.Orleans.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("Fruits.Orleans.sln not found above " + AppContext.BaseDirectory);
    }
}
