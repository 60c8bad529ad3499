namespace Fruits.Pipeline.Output;

/// <summary>
/// Which batches make each final part: consecutive batches, in order, up to the target size. Readers
/// (Spark, DuckDB, Athena) read a few large objects far better than many small ones; row groups of several
/// megabytes keep a part splittable across their workers.
/// </summary>
public static class OutputPartPlan
{
    public const long DefaultPartBytes = 128L * 1024 * 1024;

    /// <summary>
    /// About 1,600 rows of 1,280 features. The Parquet encoder builds each column chunk as one page in memory and
    /// passes it through several transient buffers of its size, so the row group, not the part, sets what writing and
    /// reading a part hold; at 32 MB a job's projection held and faulted in over half a gigabyte more.
    /// </summary>
    public const long RowGroupBytes = 8L * 1024 * 1024;

    /// <summary>The smallest part an output is cut into so that more workers can project it (several row groups).</summary>
    public const long MinimumSpreadPartBytes = 32L * 1024 * 1024;

    /// <summary>
    /// Estimated stored bytes of a final row: its floats, plus room for its path and label. Features are dense
    /// floats, which Snappy barely compresses, so the estimate is close to what lands.
    /// </summary>
    public static int BytesPerRow(int dimension, int k) => ((dimension + k) * sizeof(float)) + 128;

    /// <remarks>
    /// The parts are as few as the target allows and of near-equal size: filled to the target one after another, an
    /// output a little above it would end in a part of a few batches, which a reader pays a file for and which leaves
    /// the worker that projects the large part alone with almost all of the output.
    /// </remarks>
    /// <param name="batches">Every batch with rows, ascending, with its row count.</param>
    /// <param name="parallelism">
    /// How many parts the cluster can project at once. Parts are its unit of work, so an output the target would
    /// put in fewer parts is cut into that many parts instead, as long as each still holds at least
    /// <see cref="MinimumSpreadPartBytes"/>: readers see no small part, and no worker sits idle while one encodes
    /// the whole output. No part is ever above the target.
    /// </param>
    public static IReadOnlyList<int[]> Plan(IReadOnlyList<(int Batch, int Rows)> batches, long targetBytes, int bytesPerRow, int parallelism = 1)
    {
        ArgumentNullException.ThrowIfNull(batches);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(targetBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytesPerRow);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(parallelism);
        var parts = Fill(batches, targetBytes, bytesPerRow);
        var total = batches.Sum(b => (long)b.Rows * bytesPerRow);
        var wanted = (int)Math.Max(parts.Count, Math.Min(parallelism, total / MinimumSpreadPartBytes));
        if (wanted <= 1)
        {
            return parts;
        }

        // The smallest cap at which filling makes no more than the wanted parts: filling makes fewer parts as the cap
        // grows, and at the target it makes no more than wanted.
        long low = (total + wanted - 1) / wanted, high = targetBytes;
        while (low < high)
        {
            var cap = low + ((high - low) / 2);
            if (Fill(batches, cap, bytesPerRow).Count <= wanted)
            {
                high = cap;
            }
            else
            {
                low = cap + 1;
            }
        }

        return Fill(batches, high, bytesPerRow);
    }

    /// <summary>Consecutive batches, in order, until the next would take a part above <paramref name="capBytes"/>; a batch larger than the cap goes alone.</summary>
    private static List<int[]> Fill(IReadOnlyList<(int Batch, int Rows)> batches, long capBytes, int bytesPerRow)
    {
        var parts = new List<int[]>();
        var current = new List<int>();
        long bytes = 0;
        foreach (var (batch, rows) in batches)
        {
            var size = (long)rows * bytesPerRow;
            if (current.Count > 0 && bytes + size > capBytes)
            {
                parts.Add([.. current]);
                current.Clear();
                bytes = 0;
            }

            current.Add(batch);
            bytes += size;
        }

        if (current.Count > 0)
        {
            parts.Add([.. current]);
        }

        return parts;
    }

    public static int RowGroupRows(int bytesPerRow) => (int)Math.Max(1, RowGroupBytes / bytesPerRow);
}
