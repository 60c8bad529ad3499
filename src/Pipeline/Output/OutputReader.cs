using System.Runtime.CompilerServices;
using Fruits.Pipeline.Storage;

namespace Fruits.Pipeline.Output;

/// <summary>Streams a finished job's rows part by part, so reading never holds a whole job in memory.</summary>
public sealed class OutputReader(IObjectStore output)
{
    public async Task<IReadOnlyList<string>> PartsAsync(CancellationToken cancellationToken = default)
    {
        if (!await output.ExistsAsync(OutputLayout.Success, cancellationToken))
        {
            throw new StorageException($"{output.Root} holds no finished job (no _SUCCESS)");
        }

        var parts = new List<string>();
        await foreach (var item in output.ListAsync(string.Empty, cancellationToken))
        {
            if (OutputLayout.IsOutputPart(item.Key))
            {
                parts.Add(item.Key);
            }
        }

        return parts;
    }

    public async IAsyncEnumerable<OutputRow> RowsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var part in await PartsAsync(cancellationToken))
        {
            foreach (var row in await ParquetParts.ReadAsync<OutputRow>(output, part, cancellationToken))
            {
                yield return row;
            }
        }
    }
}
