using System.Buffers;

namespace Fruits.Pipeline.Output;

/// <summary>
/// A write-only stream into a rented array, which grows by renting a larger one and goes back to the pool when the
/// stream is disposed. The files built whole in memory before they are stored (a feature-store segment, a batch's
/// part) are a few hundred kilobytes each, one or more per batch: a fresh array for each is memory the process must
/// allocate, zero and fault in anew every time, on the cores that run the model.
/// </summary>
public sealed class PooledBufferStream(int capacity) : Stream
{
    private byte[]? _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(1, capacity));
    private int _length;

    /// <summary>What was written so far; valid until the next write or disposal.</summary>
    public ReadOnlyMemory<byte> Written => Buffer.AsMemory(0, _length);

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => _buffer is not null;

    public override long Length => _length;

    public override long Position
    {
        get => _length;
        set => throw new NotSupportedException();
    }

    private byte[] Buffer => _buffer ?? throw new ObjectDisposedException(nameof(PooledBufferStream));

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        Reserve(buffer.Length);
        buffer.CopyTo(Buffer.AsSpan(_length));
        _length += buffer.Length;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (Interlocked.Exchange(ref _buffer, null) is { } rented)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }

        base.Dispose(disposing);
    }

    private void Reserve(int more)
    {
        var current = Buffer;
        var needed = checked(_length + more);
        if (needed <= current.Length)
        {
            return;
        }

        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, current.Length * 2));
        current.AsSpan(0, _length).CopyTo(larger);
        _buffer = larger;
        ArrayPool<byte>.Shared.Return(current);
    }
}
