using Fruits.Pipeline.Output;

namespace Fruits.UnitTests.Output;

/// <summary>The buffer the direct writer builds a file in must hold every byte written, past its first capacity too.</summary>
public sealed class PooledBufferStreamTests
{
    [Fact]
    public async Task Writes_past_the_first_capacity_keep_every_byte_in_order()
    {
        var expected = Enumerable.Range(0, 10_000).Select(i => (byte)(i * 31)).ToArray();
        var stream = new PooledBufferStream(capacity: 100);
        stream.Write(expected.AsSpan(0, 7));
        await stream.WriteAsync(expected.AsMemory(7, 3000));
        stream.Write(expected, 3007, 1);
        await stream.WriteAsync(expected, 3008, expected.Length - 3008);

        Assert.Equal(expected.Length, stream.Length);
        Assert.True(stream.Written.Span.SequenceEqual(expected));

        await stream.DisposeAsync();
        Assert.False(stream.CanWrite);
        Assert.Throws<ObjectDisposedException>(() => stream.Write([1]));
        Assert.Throws<NotSupportedException>(() => stream.Seek(0, SeekOrigin.Begin));
    }
}
