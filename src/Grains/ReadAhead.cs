using System.Threading.Channels;

namespace Fruits.Grains;

/// <summary>
/// Items of a sequence taken, from the moment it is made, up to <paramref name="capacity"/> ahead on another
/// thread, so that producing the next overlaps whatever the consumer does with this one: a refit reads a part's
/// next row group while it fits, then while it projects and writes the group before. A failure of the sequence
/// reaches the consumer where the items stop.
/// </summary>
internal sealed class ReadAhead<T> : IAsyncDisposable
{
    private readonly Channel<T> _channel;
    private readonly CancellationTokenSource _stop;
    private readonly Task _producer;

    public ReadAhead(IAsyncEnumerable<T> source, int capacity, CancellationToken cancellationToken)
    {
        _channel = Channel.CreateBounded<T>(capacity);
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _producer = Task.Run(() => ProduceAsync(source), CancellationToken.None);
    }

    public IAsyncEnumerable<T> ReadAllAsync(CancellationToken cancellationToken) => _channel.Reader.ReadAllAsync(cancellationToken);

    /// <summary>Stops a reader whose items are no longer wanted and waits for it, so no read outlives the part.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _producer;
        _stop.Dispose();
    }

    private async Task ProduceAsync(IAsyncEnumerable<T> source)
    {
        try
        {
            await foreach (var item in source.WithCancellation(_stop.Token))
            {
                await _channel.Writer.WriteAsync(item, _stop.Token);
            }

            _channel.Writer.Complete();
        }
        catch (Exception e)
        {
            _channel.Writer.TryComplete(e);
        }
    }
}
