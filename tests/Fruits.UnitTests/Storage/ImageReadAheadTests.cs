using Fruits.Pipeline.Listing;
using Fruits.Pipeline.Storage;

namespace Fruits.UnitTests.Storage;

public sealed class ImageReadAheadTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("fruits-read-ahead");

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(64)]
    public async Task Hands_out_every_image_in_order_and_a_failed_read_only_fails_its_own_image(int depth)
    {
        var images = new List<ImageEntry>();
        for (var i = 0; i < 10; i++)
        {
            var key = $"x/{i}.jpg";
            images.Add(new ImageEntry(key, key, "x"));
            if (i != 4)
            {
                Directory.CreateDirectory(Path.Combine(_root.FullName, "x"));
                await File.WriteAllBytesAsync(Path.Combine(_root.FullName, key), Enumerable.Repeat((byte)i, i + 1).ToArray());
            }
        }

        await using var reads = new ImageReadAhead(new LocalObjectStore(_root.FullName), images, depth, 1000);
        for (var i = 0; i < 10; i++)
        {
            if (i == 4)
            {
                var missing = await Assert.ThrowsAsync<StorageException>(reads.ReadNextAsync);
                Assert.Contains("file not found", missing.Message, StringComparison.Ordinal);
                continue;
            }

            Assert.Equal(Enumerable.Repeat((byte)i, i + 1), await reads.ReadNextAsync());
        }

        await Assert.ThrowsAsync<InvalidOperationException>(reads.ReadNextAsync);
    }

    [Fact]
    public async Task Keeps_exactly_depth_reads_in_flight_ahead_of_the_consumer()
    {
        Directory.CreateDirectory(Path.Combine(_root.FullName, "x"));
        var images = new List<ImageEntry>();
        for (var i = 0; i < 8; i++)
        {
            var key = $"x/{i}.jpg";
            images.Add(new ImageEntry(key, key, "x"));
            await File.WriteAllBytesAsync(Path.Combine(_root.FullName, key), [(byte)i]);
        }

        var store = new GatedStore(new LocalObjectStore(_root.FullName)) { Allowed = 3 };
        await using var reads = new ImageReadAhead(store, images, 3, 1000);

        // Before anything is asked for, the first three reads are running; the store records any read started
        // beyond the window, so no wait for "nothing more happened" is needed.
        await store.WaitForStartedAsync(3);
        store.Open();
        for (var i = 0; i < 8; i++)
        {
            store.Allowed = Math.Min(8, i + 1 + 3);
            Assert.Equal([(byte)i], await reads.ReadNextAsync());
        }

        Assert.Equal(0, store.BeyondWindow);
        Assert.Equal(8, store.Started);
    }

    public void Dispose() => _root.Delete(recursive: true);

    /// <summary>A real local store whose reads wait at a gate, so the test can count the reads started ahead.</summary>
    private sealed class GatedStore(IObjectStore inner) : ObjectStoreDecorator(inner)
    {
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _started;
        private int _beyondWindow;

        public int Started => Volatile.Read(ref _started);

        /// <summary>How many reads may have started so far: those consumed plus the read-ahead window.</summary>
        public int Allowed { get; set; }

        /// <summary>Reads started while more than <see cref="Allowed"/> were already running ahead.</summary>
        public int BeyondWindow => Volatile.Read(ref _beyondWindow);

        public void Open() => _gate.TrySetResult();

        public async Task WaitForStartedAsync(int count)
        {
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (Started < count)
            {
                Assert.True(DateTime.UtcNow < deadline, $"only {Started} of {count} reads started");
                await Task.Delay(10);
            }
        }

        public override async Task<byte[]> ReadAllBytesAsync(string key, long maxBytes, CancellationToken cancellationToken = default)
        {
            if (Interlocked.Increment(ref _started) > Allowed)
            {
                Interlocked.Increment(ref _beyondWindow);
            }

            await _gate.Task;
            return await Inner.ReadAllBytesAsync(key, maxBytes, cancellationToken);
        }
    }
}
