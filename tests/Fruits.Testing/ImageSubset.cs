namespace Fruits.Testing;

/// <summary>A deterministic subset of the real Fruits-360 Test split, copied so tests may change it.</summary>
public static class ImageSubset
{
    /// <summary>Copies the first <paramref name="perLabel"/> images (ordinal order) of the first <paramref name="labels"/> label folders.</summary>
    public static string CopyTo(string destination, int labels, int perLabel)
    {
        var folders = Directory.GetDirectories(TestPaths.TestImagesRoot).Order(StringComparer.Ordinal).Take(labels);
        foreach (var folder in folders)
        {
            var target = Directory.CreateDirectory(Path.Combine(destination, Path.GetFileName(folder))).FullName;
            foreach (var file in Directory.GetFiles(folder, "*.jpg").Order(StringComparer.Ordinal).Take(perLabel))
            {
                File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
            }
        }

        return destination;
    }
}
