using Fruits.Pipeline.Storage;

namespace Fruits.Pipeline.Output;

/// <summary>
/// Refuses output locations a job must never write to: a job lists its input, clears its output's work files and,
/// with --overwrite, its previous results, so the two must not overlap, and the output must not be a folder that
/// holds a user's other files wholesale (a home folder, a filesystem root, a bucket's root).
/// </summary>
public static class OutputGuard
{
    /// <summary>Checks with this process's $HOME as the user's home folder.</summary>
    /// <exception cref="ArgumentException">The output is refused; the message is one line saying why.</exception>
    public static void Check(StorageLocation input, StorageLocation output) =>
        Check(input, output, Environment.GetEnvironmentVariable("HOME"));

    /// <param name="home">The home folder to protect besides /root and /home/*; null or empty for none.</param>
    /// <exception cref="ArgumentException">The output is refused; the message is one line saying why.</exception>
    public static void Check(StorageLocation input, StorageLocation output, string? home)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        if (output.IsS3)
        {
            CheckS3(input, output);
        }
        else
        {
            CheckLocal(input, output, home);
        }
    }

    private static void CheckS3(StorageLocation input, StorageLocation output)
    {
        var (outBucket, outPrefix) = ObjectStoreFactory.SplitS3(output.Uri);
        if (outPrefix.Length == 0)
        {
            throw Refused(output, $"is the root of bucket '{outBucket}'; give a prefix, such as s3://{outBucket}/fruits-out");
        }

        if (!input.IsS3)
        {
            return;
        }

        var (inBucket, inPrefix) = ObjectStoreFactory.SplitS3(input.Uri);
        if (inBucket == outBucket)
        {
            CheckOverlap(input, output, inPrefix, outPrefix, '/');
        }
    }

    private static void CheckLocal(StorageLocation input, StorageLocation output, string? home)
    {
        // Both the path as written (normalised) and with its symlinks resolved: either may reveal a protected folder.
        var written = Normalize(output.Uri);
        var resolved = Resolve(written);
        foreach (var path in new[] { written, resolved })
        {
            if (IsFilesystemRoot(path))
            {
                throw Refused(output, "is a filesystem root");
            }

            if (ProtectedHome(path, home) is { } protectedHome)
            {
                throw Refused(output, protectedHome == path
                    ? "is a home folder; give a folder of its own inside it"
                    : $"contains the home folder {protectedHome}");
            }
        }

        if (!input.IsS3)
        {
            var inputResolved = Resolve(Normalize(input.Uri));
            CheckOverlap(input, output, Trim(inputResolved), Trim(resolved), Path.DirectorySeparatorChar);
        }
    }

    private static void CheckOverlap(StorageLocation input, StorageLocation output, string inputPath, string outputPath, char separator)
    {
        var comparison = OperatingSystem.IsWindows() && separator == '\\' ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        if (string.Equals(inputPath, outputPath, comparison))
        {
            throw Refused(output, $"is the input {input}");
        }

        if (IsInside(outputPath, inputPath, separator, comparison))
        {
            throw Refused(output, $"is inside the input {input}; the job would list its own output");
        }

        if (IsInside(inputPath, outputPath, separator, comparison))
        {
            throw Refused(output, $"contains the input {input}; clearing the output would delete the input");
        }
    }

    private static bool IsInside(string child, string parent, char separator, StringComparison comparison) =>
        parent.Length == 0
        || (child.Length > parent.Length
            && child.StartsWith(parent, comparison)
            && (parent[^1] == separator || child[parent.Length] == separator));

    /// <summary>$HOME, /root, /home and /home/x: the path itself or the first of them it contains.</summary>
    private static string? ProtectedHome(string path, string? home)
    {
        if (OperatingSystem.IsWindows())
        {
            return null;
        }

        var homes = new List<string> { "/root", "/home" };
        if (!string.IsNullOrEmpty(home))
        {
            var normalized = Normalize(home);
            homes.Add(normalized);
            homes.Add(Resolve(normalized));
        }

        if (path.StartsWith("/home/", StringComparison.Ordinal) && path.IndexOf('/', "/home/".Length) < 0)
        {
            return path;
        }

        return homes.FirstOrDefault(h => h == path || IsInside(h, path, '/', StringComparison.Ordinal));
    }

    private static bool IsFilesystemRoot(string path) => Path.GetPathRoot(path) is { } root && Trim(root) == Trim(path);

    /// <summary>Absolute, without "." or "..", repeated or trailing separators.</summary>
    private static string Normalize(string path) => Trim(Path.GetFullPath(path));

    /// <summary>
    /// The real path: the longest existing ancestor with its symlinks resolved, plus the part that does not exist
    /// yet (an output folder usually does not).
    /// </summary>
    private static string Resolve(string path)
    {
        var existing = path;
        var rest = new Stack<string>();
        while (!Directory.Exists(existing) && !File.Exists(existing) && Path.GetDirectoryName(existing) is { } parent)
        {
            rest.Push(Path.GetFileName(existing));
            existing = parent;
        }

        var resolved = UnixFileSystem.TryRealPath(existing) ?? existing;
        while (rest.Count > 0)
        {
            resolved = Path.Join(resolved, rest.Pop());
        }

        return Trim(resolved);
    }

    private static string Trim(string path)
    {
        var root = Path.GetPathRoot(path);
        var trimmed = path.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
        return root is not null && trimmed.Length < root.Length ? root : trimmed;
    }

    private static ArgumentException Refused(StorageLocation output, string why) =>
        new($"refusing to write to {output}: it {why}");
}
