namespace Fruits.Pipeline.Listing;

/// <summary>
/// Cuts listed images into batches of a fixed size, every batch full but the last. Given a way to tell which images
/// the feature store already holds, those and the others fill batches of their own, each in listing order: a batch is
/// then either read from the store or sent through the model, never a few images of one among many of the other.
/// </summary>
/// <remarks>
/// A few new images in each of many batches cost far more than the same images in batches of their own: every such
/// batch pays for a model pass of a handful of images beside its store reads, and those batches, spread over the whole
/// job, keep the featurizers from running full batches through the model. Images the store holds are told by their
/// listed version, so telling costs no read of an image; a copied or renamed image is told as new and found by its
/// content once read.
/// The test for stored images may still be loading when the listing starts: images listed meanwhile wait, and are
/// cut once it is known. When it fails, every image is cut in listing order.
/// What the test said of each image is kept (<see cref="Held"/>), so that a later attempt of the same job, which
/// finds the store grown by this one's writes, can cut the same listing the same way and resume its batches.
/// </remarks>
public sealed class BatchCutter
{
    private readonly int _batchSize;
    private readonly Task<Func<int, ImageEntry, bool>?>? _stored;
    private readonly List<ImageEntry> _waiting = [];
    private readonly List<bool> _held = [];
    private List<ImageEntry> _inStore;
    private List<ImageEntry> _notInStore;

    /// <param name="batchSize">Images a batch holds.</param>
    /// <param name="stored">Completes with whether the feature store holds an image, given its position in the listing and the image (null: no test); null cuts in listing order.</param>
    public BatchCutter(int batchSize, Task<Func<int, ImageEntry, bool>?>? stored = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        _batchSize = batchSize;
        _stored = stored;
        _inStore = new List<ImageEntry>(batchSize);
        _notInStore = new List<ImageEntry>(batchSize);
    }

    /// <summary>Batches cut and not yet taken, in batch order.</summary>
    public Queue<IReadOnlyList<ImageEntry>> Cut { get; } = new();

    /// <summary>
    /// Once finished, what the test said of each image in listing order, one bit each (the first image in the lowest
    /// bit of the first byte); null when every image was cut in listing order: no test, or it said the same of all.
    /// </summary>
    public byte[]? Held { get; private set; }

    /// <summary>Whether bit <paramref name="position"/> of <paramref name="held"/> (<see cref="Held"/>) is set; false beyond its end.</summary>
    public static bool IsHeld(byte[] held, int position)
    {
        ArgumentNullException.ThrowIfNull(held);
        return position >= 0 && position / 8 < held.Length && (held[position / 8] & (1 << (position % 8))) != 0;
    }

    /// <summary>Takes the next listed image; a batch it completes joins <see cref="Cut"/>.</summary>
    public void Add(ImageEntry image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (_stored is { IsCompleted: false })
        {
            _waiting.Add(image);
            return;
        }

        var test = Test();
        Release(test);
        Place(image, test);
    }

    /// <summary>Cuts what is left once the listing has ended: at most one full batch and the partial last one.</summary>
    public async Task FinishAsync()
    {
        if (_stored is not null)
        {
            await ((Task)_stored).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
            Release(Test());
        }

        if (_held.Contains(true) && _held.Contains(false))
        {
            Held = new byte[(_held.Count + 7) / 8];
            for (var i = 0; i < _held.Count; i++)
            {
                Held[i / 8] |= (byte)(_held[i] ? 1 << (i % 8) : 0);
            }
        }

        var rest = _inStore.Concat(_notInStore).ToList();
        for (var start = 0; start < rest.Count; start += _batchSize)
        {
            Cut.Enqueue(rest.GetRange(start, Math.Min(_batchSize, rest.Count - start)));
        }

        _inStore = [];
        _notInStore = [];
    }

    private Func<int, ImageEntry, bool>? Test() => _stored is { IsCompletedSuccessfully: true } ? _stored.Result : null;

    private void Release(Func<int, ImageEntry, bool>? test)
    {
        foreach (var image in _waiting)
        {
            Place(image, test);
        }

        _waiting.Clear();
    }

    private void Place(ImageEntry image, Func<int, ImageEntry, bool>? test)
    {
        var inStore = test?.Invoke(_held.Count, image) == true;
        _held.Add(inStore);
        Place(inStore ? _inStore : _notInStore, image, inStore);
    }

    private void Place(List<ImageEntry> batch, ImageEntry image, bool inStore)
    {
        batch.Add(image);
        if (batch.Count < _batchSize)
        {
            return;
        }

        Cut.Enqueue(batch);
        if (inStore)
        {
            _inStore = new List<ImageEntry>(_batchSize);
        }
        else
        {
            _notInStore = new List<ImageEntry>(_batchSize);
        }
    }
}
