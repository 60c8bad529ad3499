using System.Buffers;
using Fruits.Pipeline.Storage;
using Parquet;
using Parquet.Schema;
using Parquet.Serialization;

namespace Fruits.Pipeline.Output;

/// <summary>Reads and writes whole Parquet parts through a store, so every part lands atomically.</summary>
public static class ParquetParts
{
    private static readonly ParquetOptions Snappy = new() { CompressionMethod = CompressionMethod.Snappy };

    /// <param name="synced">False for a batch's work part, which every resume reads back and verifies (see <see cref="IObjectStore.WriteVolatileAsync"/>).</param>
    public static async Task WriteAsync<T>(IObjectStore store, string key, IReadOnlyCollection<T> rows, bool synced = true, CancellationToken cancellationToken = default)
        where T : class, new()
    {
        using var buffer = new MemoryStream();
        await ParquetSerializer.SerializeAsync(rows, buffer, Snappy, cancellationToken: cancellationToken);
        await PutAsync(store, key, buffer.GetBuffer().AsMemory(0, (int)buffer.Length), synced, cancellationToken);
    }

    /// <summary>
    /// A one-row-group part whose columns <paramref name="writeColumns"/> writes, Snappy-compressed, with
    /// <paramref name="metadata"/> in its footer, built in memory (<paramref name="capacity"/> bytes to start) and put in
    /// place whole.
    /// </summary>
    internal static async Task WriteColumnsAsync(
        IObjectStore store,
        string key,
        ParquetSchema schema,
        int capacity,
        Dictionary<string, string>? metadata,
        Func<ParquetRowGroupWriter, Task> writeColumns,
        CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream(capacity);
        await using (var writer = await ParquetWriter.CreateAsync(schema, buffer, Snappy, cancellationToken: cancellationToken))
        {
            if (metadata is not null)
            {
                writer.CustomMetadata = metadata;
            }

            using var group = writer.CreateRowGroup();
            await writeColumns(group);
        }

        await store.WriteAsync(key, buffer.GetBuffer().AsMemory(0, (int)buffer.Length), cancellationToken);
    }

    /// <summary>
    /// A part of <paramref name="columns"/> that <paramref name="writeColumns"/> writes through a
    /// <see cref="PlainParquetWriter"/>, with <paramref name="metadata"/> in its footer, built in a pooled buffer
    /// (<paramref name="capacity"/> bytes to start) and put in place whole; synced unless <paramref name="synced"/> is false.
    /// </summary>
    internal static async Task WritePlainAsync(
        IObjectStore store,
        string key,
        IReadOnlyList<PlainColumn> columns,
        int capacity,
        IReadOnlyDictionary<string, string>? metadata,
        bool synced,
        Func<PlainParquetWriter, Task> writeColumns,
        CancellationToken cancellationToken)
    {
        await using var buffer = new PooledBufferStream(capacity);
        var writer = new PlainParquetWriter(buffer, columns, metadata);
        await writeColumns(writer);
        await writer.CompleteAsync(cancellationToken);
        await PutAsync(store, key, buffer.Written, synced, cancellationToken);
    }

    private static Task PutAsync(IObjectStore store, string key, ReadOnlyMemory<byte> content, bool synced, CancellationToken cancellationToken) =>
        synced ? store.WriteAsync(key, content, cancellationToken) : store.WriteVolatileAsync(key, content, cancellationToken);

    public static async Task<IList<T>> ReadAsync<T>(IObjectStore store, string key, CancellationToken cancellationToken = default)
        where T : class, new()
    {
        using var buffer = await ReadToMemoryAsync(store, key, cancellationToken);
        return (await ParquetSerializer.DeserializeAsync<T>(buffer, cancellationToken: cancellationToken)).Data;
    }

    /// <summary>
    /// The part's row count from its footer alone (a few kilobytes of it); null when the part is missing, empty,
    /// truncated or its footer does not read.
    /// </summary>
    public static async Task<long?> TryReadRowCountAsync(IObjectStore store, string key, CancellationToken cancellationToken = default) =>
        (await ParquetFooter.TryReadAsync(store, key, cancellationToken))?.Rows;

    /// <summary>
    /// A stream a Parquet reader can seek in: the store's own where it can seek (a local file), read in place, or else
    /// the whole object in memory. A final part is a hundred megabytes, which a local read need not copy first.
    /// </summary>
    internal static async Task<Stream> OpenSeekableAsync(IObjectStore store, string key, CancellationToken cancellationToken)
    {
        var source = await store.OpenReadAsync(key, cancellationToken);
        if (source.CanSeek)
        {
            return source;
        }

        await using (source)
        {
            var buffer = new MemoryStream();
            await source.CopyToAsync(buffer, cancellationToken);
            buffer.Position = 0;
            return buffer;
        }
    }

    /// <summary>
    /// The whole object in memory: Parquet readers seek to the footer, which S3 streams cannot. Where the length is
    /// known the bytes go into a pooled array, returned when the stream is disposed: a job reads one store segment or
    /// features part of a few hundred kilobytes per batch, and a fresh array for each is memory the process must
    /// fault in anew every time.
    /// </summary>
    internal static async Task<MemoryStream> ReadToMemoryAsync(IObjectStore store, string key, CancellationToken cancellationToken)
    {
        await using var source = await store.OpenReadAsync(key, cancellationToken);
        if (source.CanSeek && source.Length is > 0 and <= int.MaxValue)
        {
            var length = (int)source.Length;
            var rented = ArrayPool<byte>.Shared.Rent(length);
            try
            {
                await source.ReadExactlyAsync(rented.AsMemory(0, length), cancellationToken);
                return new PooledMemoryStream(rented, length);
            }
            catch
            {
                ArrayPool<byte>.Shared.Return(rented);
                throw;
            }
        }

        var buffer = new MemoryStream();
        await source.CopyToAsync(buffer, cancellationToken);
        buffer.Position = 0;
        return buffer;
    }

    /// <summary>A read-only stream over a rented array, which goes back to the pool when the stream is disposed.</summary>
    private sealed class PooledMemoryStream(byte[] rented, int length) : MemoryStream(rented, 0, length, writable: false, publiclyVisible: true)
    {
        private byte[]? _rented = rented;

        protected override void Dispose(bool disposing)
        {
            base.Dispose(disposing);
            if (Interlocked.Exchange(ref _rented, null) is { } returned)
            {
                ArrayPool<byte>.Shared.Return(returned);
            }
        }
    }
}
