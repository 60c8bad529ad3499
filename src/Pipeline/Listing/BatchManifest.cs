using System.Text.Json;
using Fruits.Pipeline.Output;
using Fruits.Pipeline.Storage;

namespace Fruits.Pipeline.Listing;

/// <summary>
/// The images of one batch, written to _job/batches/ while listing. The plan lives in the output store, not in
/// a grain's memory, so a listing of millions of keys is never held whole, and a resumed job reads the same batches.
/// </summary>
public static class BatchManifest
{
    public static Task WriteAsync(IObjectStore output, int batch, IReadOnlyList<ImageEntry> images, CancellationToken cancellationToken = default) =>
        output.WriteAsync(OutputLayout.BatchManifest(batch), JsonSerializer.SerializeToUtf8Bytes(images), cancellationToken);

    /// <summary>The manifest's key and bytes, for writing many at once (<see cref="IObjectStore.WriteManyAsync"/>).</summary>
    public static (string Key, ReadOnlyMemory<byte> Content) Encode(int batch, IReadOnlyList<ImageEntry> images) =>
        (OutputLayout.BatchManifest(batch), JsonSerializer.SerializeToUtf8Bytes(images));

    public static async Task<IReadOnlyList<ImageEntry>> ReadAsync(IObjectStore output, int batch, CancellationToken cancellationToken = default)
    {
        await using var stream = await output.OpenReadAsync(OutputLayout.BatchManifest(batch), cancellationToken);
        return await JsonSerializer.DeserializeAsync<List<ImageEntry>>(stream, cancellationToken: cancellationToken)
            ?? throw new InvalidDataException($"batch manifest {batch} is empty");
    }
}
