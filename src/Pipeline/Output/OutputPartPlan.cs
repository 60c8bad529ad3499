namespace Fruits.Pipeline.Output;

/// <summary>
/// Which batches make each final part: consecutive batches, in order, until a part reaches the target size. Readers
/// (Spark, DuckDB, Athena) read a few large objects far better than many small ones; row groups of a few tens of
/// megabytes keep a part splittable across their workers.
/// </summary>
public static class OutputPartPlan
{
    public const long DefaultPartBytes = 128L * 1024 * 1024;
    public const long RowGroupBytes = 32L * 1024 * 1024;

    /// <summary>
    /// Estimated stored bytes of a final row: its floats, plus room for its path and label. Features are dense
    /// floats, which Snappy barely compresses, so the estimate is close to what lands.
    /// </summary>
    public static int BytesPerRow(int dimension, int k) => ((dimension + k) * sizeof(float)) + 128;

    /// <param name="batches">Every batch with rows, ascending, with its row count.</param>
    public static IReadOnlyList<int[]> Plan(IReadOnlyList<(int Batch, int Rows)> batches, long targetBytes, int bytesPerRow)
    {
        ArgumentNullException.ThrowIfNull(batches);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(targetBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytesPerRow);
        var parts = new List<int[]>();
        var current = new List<int>();
        long bytes = 0;
        foreach (var (batch, rows) in batches)
        {
            var size = (long)rows * bytesPerRow;
            if (current.Count > 0 && bytes + size > targetBytes)
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
