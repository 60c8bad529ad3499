namespace Fruits.Pipeline.Storage;

/// <summary>A local folder as an object store; atomic writes via temp file + rename.</summary>
public sealed class LocalObjectStore(string rootDirectory) : IObjectStore
{
    private readonly string _root = Path.GetFullPath(rootDirectory);

    public string Root => _root;

    public string DescribeKey(string key) => Path.Combine(_root, key.Replace('/', Path.DirectorySeparatorChar));

    public async IAsyncEnumerable<StoredObject> ListAsync(string prefix, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var start = prefix.Length == 0 ? _root : DescribeKey(prefix.TrimEnd('/'));
        if (!Directory.Exists(start))
        {
            yield break;
        }

        // Depth-first with per-directory ordinal sorting keeps memory to one directory level at a time
        // and yields keys in plain ordinal order of their '/'-joined form.
        var visited = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<string>();
        stack.Push(start);
        while (stack.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var directory = stack.Pop();
            var identity = ResolveIdentity(directory);
            if (!visited.Add(identity))
            {
                continue; // a symlink loop or a second link to a folder already listed
            }

            FileSystemInfo[] entries;
            try
            {
                entries = new DirectoryInfo(directory).GetFileSystemInfos();
            }
            catch (Exception e) when (e is UnauthorizedAccessException or IOException)
            {
                continue;
            }

            var names = entries.Select(e => (Key: ToKey(e.FullName), Entry: e))
                .OrderBy(e => e.Key, StringComparer.Ordinal)
                .ToList();
            var subdirectories = new List<string>();
            foreach (var (key, entry) in names)
            {
                if (entry is DirectoryInfo)
                {
                    subdirectories.Add(entry.FullName);
                }
                else if (entry is FileInfo file)
                {
                    long size;
                    try
                    {
                        size = file.Length;
                    }
                    catch (IOException)
                    {
                        size = -1;
                    }

                    yield return new StoredObject(key, size);
                }
            }

            for (var i = subdirectories.Count - 1; i >= 0; i--)
            {
                stack.Push(subdirectories[i]);
            }

            await Task.CompletedTask;
        }
    }

    /// <remarks>
    /// Reads synchronously: an image file is a few kilobytes, usually in the page cache, and read in microseconds,
    /// while an asynchronous FileStream on Linux hands each read to the thread pool and back, two thread hops per
    /// image on the featurizer's hot path.
    /// </remarks>
    public Task<byte[]> ReadAllBytesAsync(string key, long maxBytes, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<byte[]>(cancellationToken);
        }

        try
        {
            using var handle = File.OpenHandle(DescribeKey(key), FileMode.Open, FileAccess.Read, FileShare.Read);
            var length = RandomAccess.GetLength(handle);
            if (length > maxBytes)
            {
                throw new StorageException($"file is {length} bytes, over the {maxBytes}-byte limit");
            }

            var buffer = new byte[length];
            for (var read = 0; read < buffer.Length;)
            {
                var n = RandomAccess.Read(handle, buffer.AsSpan(read), read);
                if (n == 0)
                {
                    throw new StorageException($"file shrank to {read} bytes while being read");
                }

                read += n;
            }

            return Task.FromResult(buffer);
        }
        catch (UnauthorizedAccessException)
        {
            return Task.FromException<byte[]>(new StorageException("permission denied"));
        }
        catch (FileNotFoundException)
        {
            return Task.FromException<byte[]>(new StorageException("file not found"));
        }
        catch (Exception e) when (e is StorageException or IOException)
        {
            return Task.FromException<byte[]>(e);
        }
    }

    public Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken = default)
    {
        try
        {
            return Task.FromResult<Stream>(new FileStream(DescribeKey(key), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous));
        }
        catch (FileNotFoundException)
        {
            throw new StorageException($"{DescribeKey(key)}: not found");
        }
    }

    public async Task WriteAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        var path = DescribeKey(key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            await using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            {
                await stream.WriteAsync(content, cancellationToken);
                await stream.FlushAsync(cancellationToken);
            }

            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    public Task<bool> ExistsAsync(string key, CancellationToken cancellationToken = default) =>
        Task.FromResult(File.Exists(DescribeKey(key)));

    public Task DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        File.Delete(DescribeKey(key));
        return Task.CompletedTask;
    }

    public async Task CheckAccessAsync(bool forWrite, CancellationToken cancellationToken = default)
    {
        if (!forWrite)
        {
            if (!Directory.Exists(_root))
            {
                throw new StorageException($"{_root}: no such folder");
            }

            return;
        }

        try
        {
            Directory.CreateDirectory(_root);
            var probe = $"_probe-{Guid.NewGuid():N}";
            await WriteAsync(probe, new byte[] { 1 }, cancellationToken);
            await DeleteAsync(probe, cancellationToken);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new StorageException($"{_root}: not writable ({e.Message})");
        }
    }

    private string ToKey(string fullPath) =>
        Path.GetRelativePath(_root, fullPath).Replace(Path.DirectorySeparatorChar, '/');

    private static string ResolveIdentity(string directory)
    {
        try
        {
            var info = new DirectoryInfo(directory);
            var target = info.ResolveLinkTarget(returnFinalTarget: true);
            return target?.FullName ?? info.FullName;
        }
        catch (IOException)
        {
            return directory;
        }
    }
}
