using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Fruits.Pipeline.Listing;
using Fruits.Pipeline.Storage;

namespace Fruits.UnitTests.Storage;

/// <summary>Inputs that could hang or mislead a worker, and writes that must survive a crash whole or not at all.</summary>
public sealed class LocalStoreSafetyTests : IDisposable
{
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(10);
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("fruits-local-safety");
    private readonly LocalObjectStore _store;

    public LocalStoreSafetyTests() => _store = new LocalObjectStore(_root.FullName);

    [Fact]
    public async Task A_fifo_named_jpg_is_listed_and_refused_without_being_opened()
    {
        await MakeFifoAsync("a/pipe.jpg");

        // Listing does not open it, so it neither hangs nor fails; the read refuses it by type, promptly.
        var listed = await _store.ListAsync("").ToListAsync().AsTask().WaitAsync(Prompt);
        Assert.Contains(listed, o => o.Key == "a/pipe.jpg");
        var error = await Assert.ThrowsAsync<StorageException>(() => _store.ReadAllBytesAsync("a/pipe.jpg", 1000).WaitAsync(Prompt));
        Assert.Equal("not a regular file (fifo)", error.Message);
        Assert.False(error.IsTransient);
    }

    [Fact]
    public async Task A_fifo_among_images_fails_only_its_own_image_in_read_ahead()
    {
        await File.WriteAllBytesAsync(Path.Combine(_root.FullName, "0.jpg"), [0]);
        await MakeFifoAsync("1.jpg");
        await File.WriteAllBytesAsync(Path.Combine(_root.FullName, "2.jpg"), [2]);
        var images = new[] { "0.jpg", "1.jpg", "2.jpg" }.Select(k => new ImageEntry(k, k, "x")).ToList();

        foreach (var depth in new[] { 0, 2 })
        {
            await using var reads = new ImageReadAhead(_store, images, depth, 1000);
            Assert.Equal([0], await reads.ReadNextAsync().WaitAsync(Prompt));
            var error = await Assert.ThrowsAsync<StorageException>(() => reads.ReadNextAsync().WaitAsync(Prompt));
            Assert.Equal("not a regular file (fifo)", error.Message);
            Assert.Equal([2], await reads.ReadNextAsync().WaitAsync(Prompt));
        }
    }

    [Fact]
    public async Task A_unix_socket_and_a_link_to_a_device_are_refused_by_type()
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(Path.Combine(_root.FullName, "socket.jpg")));
        File.CreateSymbolicLink(Path.Combine(_root.FullName, "zero.jpg"), "/dev/zero");

        var onSocket = await Assert.ThrowsAsync<StorageException>(() => _store.ReadAllBytesAsync("socket.jpg", 1000).WaitAsync(Prompt));
        Assert.Equal("not a regular file (socket)", onSocket.Message);
        var onDevice = await Assert.ThrowsAsync<StorageException>(() => _store.ReadAllBytesAsync("zero.jpg", 1000).WaitAsync(Prompt));
        Assert.Equal("not a regular file (character device)", onDevice.Message);
    }

    [Fact]
    public async Task A_read_that_never_finishes_fails_its_image_after_the_timeout()
    {
        var images = new[] { "stuck.jpg", "fine.jpg" }.Select(k => new ImageEntry(k, k, "x")).ToList();
        var store = new StuckStore(_store, "stuck.jpg");
        await File.WriteAllBytesAsync(Path.Combine(_root.FullName, "fine.jpg"), [7]);

        foreach (var depth in new[] { 0, 2 })
        {
            await using var reads = new ImageReadAhead(store, images, depth, 1000, TimeSpan.FromMilliseconds(200));
            var clock = Stopwatch.StartNew();
            var error = await Assert.ThrowsAsync<StorageException>(() => reads.ReadNextAsync().WaitAsync(Prompt));
            Assert.Equal("read did not finish within 0.2 s", error.Message);
            Assert.False(error.IsTransient);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
            Assert.Equal([7], await reads.ReadNextAsync().WaitAsync(Prompt));
        }
    }

    [Fact]
    public async Task A_write_not_synced_still_replaces_the_object_whole_and_leaves_no_temporary_file()
    {
        await _store.WriteVolatileAsync("_job/batches/batch-000000.json", "[1]"u8.ToArray());
        await _store.WriteVolatileAsync("_job/batches/batch-000000.json", "[1,2]"u8.ToArray());

        Assert.Equal("[1,2]"u8.ToArray(), await _store.ReadAllBytesAsync("_job/batches/batch-000000.json", 100));
        Assert.Empty(Directory.GetFiles(Path.Combine(_root.FullName, IObjectStore.TemporaryPrefix)));
    }

    [Fact]
    public async Task Missing_files_are_permanent_and_other_io_errors_transient()
    {
        var missing = await Assert.ThrowsAsync<StorageException>(() => _store.ReadAllBytesAsync("nope.jpg", 1000));
        Assert.False(missing.IsTransient);

        // Reading a folder as a file is refused by type, permanently.
        Directory.CreateDirectory(Path.Combine(_root.FullName, "folder.jpg"));
        var folder = await Assert.ThrowsAsync<StorageException>(() => _store.ReadAllBytesAsync("folder.jpg", 1000));
        Assert.Equal("not a regular file (directory)", folder.Message);
        Assert.False(folder.IsTransient);

        // A write into a path whose parent is a file fails with an I/O error that is not not-found or permission.
        await File.WriteAllBytesAsync(Path.Combine(_root.FullName, "file"), [1]);
        var io = await Assert.ThrowsAsync<StorageException>(() => _store.WriteAsync("file/child", new byte[] { 1 }));
        Assert.True(io.IsTransient, io.Message);
    }

    [Fact]
    public async Task Writes_replace_whole_objects_and_leave_no_temporary_files()
    {
        await _store.WriteAsync("_work/features/batch-000000.parquet", Encoding.UTF8.GetBytes("first"));
        await _store.WriteAsync("_work/features/batch-000000.parquet", Encoding.UTF8.GetBytes("second, longer"));
        await _store.CheckAccessAsync(forWrite: true);

        Assert.Equal("second, longer", await File.ReadAllTextAsync(Path.Combine(_root.FullName, "_work/features/batch-000000.parquet")));
        Assert.Empty(Directory.GetFiles(Path.Combine(_root.FullName, "_job", "tmp")));
        Assert.Equal(["_work/features/batch-000000.parquet"], (await _store.ListAsync("").ToListAsync()).Select(o => o.Key));
    }

    [Fact]
    public async Task Temporary_clean_up_removes_exactly_our_leftovers()
    {
        var tmp = Directory.CreateDirectory(Path.Combine(_root.FullName, "_job", "tmp")).FullName;
        string[] ours = [$"write-{Guid.NewGuid():N}.tmp", $"create-{Guid.NewGuid():N}.tmp", $"probe-{Guid.NewGuid():N}.tmp"];
        string[] theirs = ["notes.txt", "write-1234.tmp", $"other-{Guid.NewGuid():N}.tmp", $"write-{Guid.NewGuid():N}.tmp.bak", $"write-{Guid.NewGuid().ToString("N").ToUpperInvariant()}.tmp"];
        foreach (var name in ours.Concat(theirs))
        {
            await File.WriteAllTextAsync(Path.Combine(tmp, name), "x");
        }

        await File.WriteAllTextAsync(Path.Combine(_root.FullName, ours[0]), "not in the temporary folder");

        Assert.Equal(3, await _store.DeleteTemporaryFilesAsync());
        Assert.Equal(theirs.Order(StringComparer.Ordinal), Directory.GetFiles(tmp).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.True(File.Exists(Path.Combine(_root.FullName, ours[0])));
        Assert.Equal(0, await new LocalObjectStore(Path.Combine(_root.FullName, "elsewhere")).DeleteTemporaryFilesAsync());
    }

    [Fact]
    public async Task Create_new_succeeds_once_and_never_replaces()
    {
        Assert.True(await _store.TryCreateNewAsync("_job/lock.json", Encoding.UTF8.GetBytes("first")));
        Assert.False(await _store.TryCreateNewAsync("_job/lock.json", Encoding.UTF8.GetBytes("second")));
        Assert.Equal("first", await File.ReadAllTextAsync(Path.Combine(_root.FullName, "_job/lock.json")));

        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(i =>
            Task.Run(() => _store.TryCreateNewAsync("race.json", Encoding.UTF8.GetBytes($"racer {i}")))));
        Assert.Single(results, r => r);
        Assert.StartsWith("racer ", await File.ReadAllTextAsync(Path.Combine(_root.FullName, "race.json")), StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(Path.Combine(_root.FullName, "_job", "tmp"), "*.tmp"));
    }

    [Fact]
    public async Task Conditional_delete_removes_only_the_content_that_was_read()
    {
        await _store.WriteAsync("lock.json", Encoding.UTF8.GetBytes("old"));
        var old = await _store.TryReadVersionedAsync("lock.json", 1000);
        Assert.NotNull(old);
        await _store.WriteAsync("lock.json", Encoding.UTF8.GetBytes("new"));

        Assert.False(await _store.TryDeleteIfMatchAsync("lock.json", old.MatchTag));
        Assert.True(File.Exists(Path.Combine(_root.FullName, "lock.json")));
        var current = await _store.TryReadVersionedAsync("lock.json", 1000);
        Assert.True(await _store.TryDeleteIfMatchAsync("lock.json", current!.MatchTag));
        Assert.False(File.Exists(Path.Combine(_root.FullName, "lock.json")));
        Assert.False(await _store.TryDeleteIfMatchAsync("lock.json", current.MatchTag));
        Assert.Null(await _store.TryReadVersionedAsync("lock.json", 1000));
    }

    [Fact]
    public async Task Listing_and_info_carry_a_version_that_changes_when_the_file_is_rewritten()
    {
        var path = Path.Combine(_root.FullName, "Apple", "a.jpg");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllBytesAsync(path, [1, 2, 3]);
        var first = Assert.Single(await _store.ListAsync("").ToListAsync());
        Assert.Equal($"3-{File.GetLastWriteTimeUtc(path).Ticks}", first.Version);
        Assert.Equal(first, await _store.TryGetInfoAsync("Apple/a.jpg"));
        Assert.Null(await _store.TryGetInfoAsync("Apple/b.jpg"));

        await File.WriteAllBytesAsync(path, [1, 2, 3]);
        File.SetLastWriteTimeUtc(path, File.GetLastWriteTimeUtc(path).AddSeconds(1));
        var entry = Assert.Single(await new ImageLister().ListAsync(_store).ToListAsync());
        Assert.NotEqual(first.Version, entry.Version);
        Assert.Equal(new ImageEntry("Apple/a.jpg", path, "Apple", $"3-{File.GetLastWriteTimeUtc(path).Ticks}"), entry);
    }

    [Fact]
    public async Task The_tail_read_returns_the_last_bytes_and_the_length()
    {
        await File.WriteAllBytesAsync(Path.Combine(_root.FullName, "part"), Enumerable.Range(0, 100).Select(i => (byte)i).ToArray());
        await File.WriteAllBytesAsync(Path.Combine(_root.FullName, "empty"), []);

        var tail = await _store.ReadTailAsync("part", 10);
        Assert.Equal(100, tail!.Length);
        Assert.Equal(Enumerable.Range(90, 10).Select(i => (byte)i), tail.Bytes);
        Assert.Equal(100, (await _store.ReadTailAsync("part", 1000))!.Bytes.Length);
        Assert.Equal(new ObjectTail(0, []).Length, (await _store.ReadTailAsync("empty", 10))!.Length);
        Assert.Null(await _store.ReadTailAsync("missing", 10));
    }

    public void Dispose() => _root.Delete(recursive: true);

    private async Task MakeFifoAsync(string key)
    {
        var path = Path.Combine(_root.FullName, key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", [path]) { RedirectStandardError = true })!;
        await mkfifo.WaitForExitAsync();
        Assert.Equal(0, mkfifo.ExitCode);
    }

    /// <summary>A local store one of whose keys never finishes reading and ignores cancellation, like a hung mount.</summary>
    private sealed class StuckStore(LocalObjectStore inner, string stuckKey) : ObjectStoreDecorator(inner)
    {
        private readonly TaskCompletionSource<byte[]> _never = new();

        public override Task<byte[]> ReadAllBytesAsync(string key, long maxBytes, CancellationToken cancellationToken = default) =>
            key == stuckKey ? _never.Task : Inner.ReadAllBytesAsync(key, maxBytes, cancellationToken);
    }
}
