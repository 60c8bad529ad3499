using System.Security.Cryptography;

namespace Fruits.Pipeline.Storage;

/// <summary>
/// A local folder as an object store. Writes go to a temporary file under <see cref="IObjectStore.TemporaryPrefix"/>
/// that is synced and then renamed over the key, and the key's folder is synced, so a crash leaves the old object
/// or the whole new one, never an empty or torn file under a committed name.
/// </summary>
public sealed class LocalObjectStore(string rootDirectory) : IObjectStore
{
    private const int StreamingBufferBytes = 1024 * 1024;
    private const int NoSuchFile = 2; // ENOENT
    private const int PermissionDenied = 13; // EACCES
    private static readonly TimeSpan GuardWait = TimeSpan.FromSeconds(10);

    private readonly string _root = Path.GetFullPath(rootDirectory);

    public string Root => _root;

    private string TemporaryFolder => Path.Combine(_root, IObjectStore.TemporaryPrefix.TrimEnd('/').Replace('/', Path.DirectorySeparatorChar));

    public string DescribeKey(string key) => Path.Combine(_root, key.Replace('/', Path.DirectorySeparatorChar));

    public async IAsyncEnumerable<StoredObject> ListAsync(string prefix, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var start = prefix.Length == 0 ? _root : DescribeKey(prefix.TrimEnd('/'));
        if (!Directory.Exists(start))
        {
            yield break;
        }

        // Depth-first with per-directory ordinal sorting keeps memory to one directory level at a time
        // and yields keys in plain ordinal order of their '/'-joined form. Nothing listed is opened: a FIFO
        // named *.jpg is listed like a file and refused when read.
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
                    yield return Describe(key, file);
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
    /// image on the featurizer's hot path. The file's type is checked before it is opened, because opening a FIFO
    /// for reading blocks until a writer appears, which may be never.
    /// </remarks>
    public Task<byte[]> ReadAllBytesAsync(string key, long maxBytes, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<byte[]>(cancellationToken);
        }

        try
        {
            var path = DescribeKey(key);
            CheckRegularFile(path);
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
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
                    // Someone is rewriting it; a later attempt reads the settled file.
                    throw new StorageException($"file shrank to {read} bytes while being read", isTransient: true);
                }

                read += n;
            }

            return Task.FromResult(buffer);
        }
        catch (Exception e) when (Translate(e, "read") is { } translated)
        {
            return Task.FromException<byte[]>(translated);
        }
    }

    public Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken = default)
    {
        try
        {
            var path = DescribeKey(key);
            CheckRegularFile(path);
            return Task.FromResult<Stream>(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous));
        }
        catch (Exception e) when (Translate(e, "open") is { } translated)
        {
            throw Located(translated, key);
        }
    }

    public Task<ObjectTail?> ReadTailAsync(string key, int maxBytes, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        try
        {
            var path = DescribeKey(key);
            if (!File.Exists(path))
            {
                return Task.FromResult<ObjectTail?>(null);
            }

            CheckRegularFile(path);
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            var length = RandomAccess.GetLength(handle);
            var tail = new byte[(int)Math.Min(length, maxBytes)];
            var offset = length - tail.Length;
            for (var read = 0; read < tail.Length;)
            {
                var n = RandomAccess.Read(handle, tail.AsSpan(read), offset + read);
                if (n == 0)
                {
                    throw new StorageException($"file shrank while its last {tail.Length} bytes were read", isTransient: true);
                }

                read += n;
            }

            return Task.FromResult<ObjectTail?>(new ObjectTail(length, tail));
        }
        catch (FileNotFoundException)
        {
            return Task.FromResult<ObjectTail?>(null);
        }
        catch (Exception e) when (Translate(e, "read") is { } translated)
        {
            throw Located(translated, key);
        }
    }

    public Task<StoredObject?> TryGetInfoAsync(string key, CancellationToken cancellationToken = default)
    {
        var file = new FileInfo(DescribeKey(key));
        return Task.FromResult<StoredObject?>(file.Exists ? Describe(key, file) : null);
    }

    public Task WriteAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default) =>
        WriteAsync(key, content, sync: true, cancellationToken);

    /// <summary>A temporary file renamed over the key, as <see cref="WriteAsync"/> writes, with neither synced.</summary>
    public Task WriteVolatileAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default) =>
        WriteAsync(key, content, sync: false, cancellationToken);

    private async Task WriteAsync(string key, ReadOnlyMemory<byte> content, bool sync, CancellationToken cancellationToken)
    {
        var path = DescribeKey(key);
        try
        {
            var folder = Path.GetDirectoryName(path)!;
            Directory.CreateDirectory(folder);
            var temporary = await WriteTemporaryAsync("write", content, sync, cancellationToken);
            MoveIntoPlace(temporary, path, sync ? folder : null);
        }
        catch (Exception e) when (Translate(e, "write") is { } translated)
        {
            throw Located(translated, key);
        }
    }

    /// <summary>
    /// Streams into a temporary file, synced, then renamed over the key, exactly as <see cref="WriteAsync"/> does.
    /// What the producer throws comes out as it is: a failure reading its own inputs is not this key's write failing.
    /// </summary>
    public async Task WriteStreamingAsync(string key, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(write);
        var path = DescribeKey(key);
        Exception? produced = null;
        try
        {
            var folder = Path.GetDirectoryName(path)!;
            Directory.CreateDirectory(folder);
            var temporary = await WriteTemporaryAsync("write", async (stream, token) =>
            {
                try
                {
                    await write(stream, token);
                }
                catch (Exception e)
                {
                    produced = e;
                    throw;
                }
            }, StreamingBufferBytes, sync: true, cancellationToken);
            MoveIntoPlace(temporary, path, folder);
        }
        catch (Exception e) when (!ReferenceEquals(e, produced) && Translate(e, "write") is { } translated)
        {
            throw Located(translated, key);
        }
    }

    /// <summary>Renames a synced temporary file over the key's file and syncs the folder, so the rename itself is durable.</summary>
    /// <param name="syncFolder">The folder whose entry to sync after the rename; null to leave it unsynced.</param>
    private static void MoveIntoPlace(string temporary, string path, string? syncFolder)
    {
        try
        {
            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }

        if (syncFolder is not null)
        {
            UnixFileSystem.FsyncDirectory(syncFolder);
        }
    }

    /// <remarks>
    /// The content is written and synced under a temporary name first, then given the key's name with link(2),
    /// which fails if the name exists: the object appears whole or not at all, so a crash never leaves an empty
    /// lock file that nobody can parse. Where hard links are not supported, FileMode.CreateNew is the fallback;
    /// there a crash between create and sync can leave a short file.
    /// </remarks>
    public async Task<bool> TryCreateNewAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        var path = DescribeKey(key);
        try
        {
            var folder = Path.GetDirectoryName(path)!;
            Directory.CreateDirectory(folder);
            // A second attempt covers a temporary file removed by a clean-up between its write and the link.
            for (var attempt = 0; UnixFileSystem.IsSupported && attempt < 2; attempt++)
            {
                var temporary = await WriteTemporaryAsync("create", content, sync: true, cancellationToken);
                try
                {
                    var error = UnixFileSystem.TryLink(temporary, path);
                    if (error == 0)
                    {
                        UnixFileSystem.FsyncDirectory(folder);
                        return true;
                    }

                    if (error == UnixFileSystem.ErrorExists)
                    {
                        return false;
                    }

                    if (error == NoSuchFile && attempt == 0)
                    {
                        continue;
                    }

                    // EPERM, EOPNOTSUPP, ENOSYS, EXDEV: a file system without hard links; anything else is reported.
                    if (error is not (1 or 95 or 38 or 18))
                    {
                        throw new IOException($"link failed (errno {error})");
                    }

                    break;
                }
                finally
                {
                    File.Delete(temporary);
                }
            }

            return await CreateNewInPlaceAsync(path, folder, content, cancellationToken);
        }
        catch (Exception e) when (Translate(e, "create") is { } translated)
        {
            throw Located(translated, key);
        }
    }

    /// <remarks>The tag is a SHA-256 of the content: unlike size and modification time, it cannot match a different lock file written in the same second.</remarks>
    public Task<VersionedContent?> TryReadVersionedAsync(string key, long maxBytes, CancellationToken cancellationToken = default)
    {
        try
        {
            var content = ReadIfExists(DescribeKey(key), maxBytes);
            return Task.FromResult(content is null ? null : new VersionedContent(content, Hash(content)));
        }
        catch (Exception e) when (Translate(e, "read") is { } translated)
        {
            throw Located(translated, key);
        }
    }

    /// <remarks>
    /// Compare and delete happen while this store's guard file is exclusively locked, so two callers naming the
    /// same tag cannot both pass the comparison and delete each other's replacement. Creating never needs the
    /// guard (it cannot replace), so only conditional deletes queue here, and they are rare.
    /// </remarks>
    public async Task<bool> TryDeleteIfMatchAsync(string key, string matchTag, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(matchTag);
        var path = DescribeKey(key);
        try
        {
            await using var guard = await AcquireGuardAsync(cancellationToken);
            var content = ReadIfExists(path, long.MaxValue);
            if (content is null || Hash(content) != matchTag)
            {
                return false;
            }

            File.Delete(path);
            UnixFileSystem.FsyncDirectory(Path.GetDirectoryName(path)!);
            return true;
        }
        catch (Exception e) when (Translate(e, "delete") is { } translated)
        {
            throw Located(translated, key);
        }
    }

    public Task<bool> ExistsAsync(string key, CancellationToken cancellationToken = default) =>
        Task.FromResult(File.Exists(DescribeKey(key)));

    public Task DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        File.Delete(DescribeKey(key));
        return Task.CompletedTask;
    }

    public Task<int> DeleteTemporaryFilesAsync(CancellationToken cancellationToken = default)
    {
        var folder = TemporaryFolder;
        if (!Directory.Exists(folder))
        {
            return Task.FromResult(0);
        }

        var deleted = 0;
        foreach (var file in Directory.EnumerateFiles(folder))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (IsTemporaryName(Path.GetFileName(file)))
            {
                File.Delete(file);
                deleted++;
            }
        }

        return Task.FromResult(deleted);
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
            File.Delete(await WriteTemporaryAsync("probe", new byte[] { 1 }, sync: true, cancellationToken));
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new StorageException($"{_root}: not writable ({e.Message})", e);
        }
    }

    /// <summary>The names <see cref="WriteTemporaryAsync"/> gives: kind-32 hex digits.tmp, nothing a user would name a file.</summary>
    public static bool IsTemporaryName(string name)
    {
        var dash = name.IndexOf('-', StringComparison.Ordinal);
        return dash > 0
            && name[..dash] is "write" or "create" or "probe"
            && name.Length == dash + 1 + 32 + 4
            && name.EndsWith(".tmp", StringComparison.Ordinal)
            && !name.AsSpan(dash + 1, 32).ContainsAnyExcept("0123456789abcdef");
    }

    private Task<string> WriteTemporaryAsync(string kind, ReadOnlyMemory<byte> content, bool sync, CancellationToken cancellationToken) =>
        WriteTemporaryAsync(kind, (stream, token) => stream.WriteAsync(content, token).AsTask(), bufferSize: 0, sync, cancellationToken);

    private async Task<string> WriteTemporaryAsync(string kind, Func<Stream, CancellationToken, Task> write, int bufferSize, bool sync, CancellationToken cancellationToken)
    {
        var folder = TemporaryFolder;
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, $"{kind}-{Guid.NewGuid():N}.tmp");
        try
        {
            // Unbuffered for a whole content written at once; a streamed content arrives in many small writes.
            await using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize, FileOptions.Asynchronous);
            await write(stream, cancellationToken);
            stream.Flush(flushToDisk: sync);
        }
        catch
        {
            File.Delete(path);
            throw;
        }

        return path;
    }

    private static async Task<bool> CreateNewInPlaceAsync(string path, string folder, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0, FileOptions.Asynchronous);
        }
        catch (IOException) when (File.Exists(path))
        {
            return false;
        }

        await using (stream)
        {
            await stream.WriteAsync(content, cancellationToken);
            stream.Flush(flushToDisk: true);
        }

        UnixFileSystem.FsyncDirectory(folder);
        return true;
    }

    private async Task<FileStream> AcquireGuardAsync(CancellationToken cancellationToken)
    {
        var folder = TemporaryFolder;
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "conditional-delete.guard");
        var deadline = DateTime.UtcNow + GuardWait;
        for (var delay = 5; ; delay = Math.Min(delay * 2, 100))
        {
            try
            {
                // FileShare.None is an exclusive flock(2) on Linux, released when the handle closes or the process dies.
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 0, FileOptions.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(delay, cancellationToken);
            }
            catch (IOException e)
            {
                throw new StorageException($"{path}: still locked by another writer after {GuardWait.TotalSeconds:F0} s", e, isTransient: true);
            }
        }
    }

    private static byte[]? ReadIfExists(string path, long maxBytes)
    {
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var length = RandomAccess.GetLength(handle);
            if (length > maxBytes)
            {
                throw new StorageException($"file is {length} bytes, over the {maxBytes}-byte limit");
            }

            var buffer = new byte[length];
            var read = 0;
            while (read < buffer.Length && RandomAccess.Read(handle, buffer.AsSpan(read), read) is var n and > 0)
            {
                read += n;
            }

            return read == buffer.Length ? buffer : buffer[..read];
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    private static string Hash(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));

    /// <summary>Refuses, without opening it, anything that is not a regular file (after following links).</summary>
    private static void CheckRegularFile(string path)
    {
        var kind = UnixFileSystem.TryGetKind(path, out var errno);
        switch (kind)
        {
            case FileKind.Regular:
                return;
            case null when errno == NoSuchFile:
                throw new FileNotFoundException(null, path);
            case null when errno == PermissionDenied:
                throw new UnauthorizedAccessException();
            case null:
                return; // unknown here: the open below reports it
            default:
                throw new StorageException($"not a regular file ({KindName(kind.Value)})");
        }
    }

    private static string KindName(FileKind kind) => kind switch
    {
        FileKind.Fifo => "fifo",
        FileKind.Socket => "socket",
        FileKind.CharacterDevice => "character device",
        FileKind.BlockDevice => "block device",
        FileKind.Directory => "directory",
        FileKind.SymbolicLink => "symbolic link",
        _ => "special file",
    };

    /// <summary>
    /// One readable line per failure, and whether retrying can help: not-found and permission are permanent,
    /// any other I/O error (EIO, ESTALE, a full disk) may pass.
    /// </summary>
    private static StorageException? Translate(Exception e, string action) => e switch
    {
        StorageException storage => storage,
        UnauthorizedAccessException => new StorageException("permission denied", e),
        FileNotFoundException or DirectoryNotFoundException => new StorageException("file not found", e),
        IOException => new StorageException($"{action} failed: {e.Message.ReplaceLineEndings(" ")}", e, isTransient: true),
        _ => null,
    };

    private StorageException Located(StorageException e, string key) =>
        new($"{DescribeKey(key)}: {e.Message}", e.InnerException, e.IsTransient);

    private static StoredObject Describe(string key, FileInfo file)
    {
        long size;
        long ticks;
        try
        {
            size = file.Length;
            ticks = file.LastWriteTimeUtc.Ticks;
        }
        catch (IOException)
        {
            return new StoredObject(key, -1);
        }

        return new StoredObject(key, size, $"{size}-{ticks}", new DateTimeOffset(ticks, TimeSpan.Zero));
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
