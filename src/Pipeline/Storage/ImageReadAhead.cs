using Fruits.Pipeline.Listing;

namespace Fruits.Pipeline.Storage;

/// <summary>
/// Hands out a batch's image bytes in order while the reads of the next few images are already running,
/// so inference does not wait on storage: an S3 GET takes tens of milliseconds against about 4 to 8 ms of
/// inference per image per core, and even a local file whose pages were evicted costs a disk read.
/// Holds at most <c>depth</c> images in memory. Not thread-safe; one per batch.
/// </summary>
/// <remarks>
/// Every read is bounded by a timeout, after which it fails for its own image (a permanent failure: retrying
/// the batch would only wait again). A read that blocks inside the kernel cannot be interrupted, so in
/// read-ahead mode its pool thread is abandoned and the batch goes on; in inline mode (depth 0) only reads that
/// honour cancellation (S3) are bounded, which is why local stores refuse FIFOs and devices before opening them.
/// </remarks>
public sealed class ImageReadAhead : IAsyncDisposable
{
    private readonly IObjectStore _store;
    private readonly IReadOnlyList<ImageEntry> _images;
    private readonly long _maxBytes;
    private readonly TimeSpan _readTimeout;
    private readonly Task<byte[]>?[] _window;
    private readonly bool _ahead;
    private int _next;
    private int _started;

    /// <summary>What a read may take when the caller names no timeout.</summary>
    public static TimeSpan DefaultReadTimeout { get; } = TimeSpan.FromSeconds(60);

    /// <param name="depth">Reads kept in flight ahead of the consumer; 0 reads each image only when it is asked for.</param>
    /// <param name="readTimeout">The longest one image's read may take; null = <see cref="DefaultReadTimeout"/>.</param>
    public ImageReadAhead(IObjectStore store, IReadOnlyList<ImageEntry> images, int depth, long maxBytes, TimeSpan? readTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentOutOfRangeException.ThrowIfNegative(depth);
        _store = store;
        _images = images;
        _maxBytes = maxBytes;
        _readTimeout = readTimeout ?? DefaultReadTimeout;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(_readTimeout, TimeSpan.Zero, nameof(readTimeout));
        _window = new Task<byte[]>?[Math.Max(depth, 1)];
        _ahead = depth > 0;
        if (_ahead)
        {
            Fill();
        }
    }

    /// <summary>The next image's bytes. A failed read throws here, for its own image only; later images are unaffected.</summary>
    public Task<byte[]> ReadNextAsync()
    {
        if (_next >= _images.Count)
        {
            throw new InvalidOperationException($"All {_images.Count} images of the batch have been read.");
        }

        var slot = _next % _window.Length;
        var read = _window[slot] ?? ReadAsync(_images[_next].Key);
        _window[slot] = null;
        _next++;
        if (_ahead)
        {
            Fill();
        }

        return read;
    }

    /// <summary>Waits for reads still running when a batch stops early, so none outlives it; their outcome no longer matters.</summary>
    public async ValueTask DisposeAsync()
    {
        var running = _window.OfType<Task<byte[]>>().ToArray();
        Array.Clear(_window);
        await ((Task)Task.WhenAll(running)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private void Fill()
    {
        while (_started < _images.Count && _started < _next + _window.Length)
        {
            var key = _images[_started].Key;

            // On the thread pool: a local store reads synchronously, which would otherwise happen right here.
            _window[_started % _window.Length] = Task.Run(() => ReadAsync(key));
            _started++;
        }
    }

    private async Task<byte[]> ReadAsync(string key)
    {
        using var timeout = new CancellationTokenSource(_readTimeout);
        try
        {
            return await _store.ReadAllBytesAsync(key, _maxBytes, timeout.Token).WaitAsync(_readTimeout);
        }
        catch (Exception e) when (e is TimeoutException || (e is OperationCanceledException && timeout.IsCancellationRequested))
        {
            throw new StorageException($"read did not finish within {_readTimeout.TotalSeconds:0.###} s", e);
        }
    }
}
