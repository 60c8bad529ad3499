namespace Fruits.Pipeline.Statistics;

/// <summary>
/// Reusable arrays for one batch's statistics. A batch's co-moment triangle is 6.5 MB: allocating one per
/// batch put gigabytes through the large-object heap over a job and triggered full collections that
/// stalled inference. The statistics returned by <see cref="Compute"/> share this buffer's arrays and are
/// valid until the next call, so they may only go to a consumer that copies them before returning (the silo's
/// running merge adds them into its own accumulator), never into a grain call's message. Not thread-safe; one per
/// worker.
/// </summary>
public sealed class MomentStatisticsBuffer(int dimension)
{
    private readonly double[] _mean = new double[dimension];
    private readonly double[] _coMoment = new double[PackedTriangle.Length(dimension)];

    public int Dimension { get; } = dimension;

    public MomentStatistics Compute(ReadOnlySpan<float> rows, int count)
    {
        MomentStatistics.CheckRows(rows, count, Dimension);

        Array.Clear(_mean);
        Array.Clear(_coMoment);
        if (count > 0)
        {
            MomentStatistics.CentredMoments(rows, count, Dimension, _mean, _coMoment);
        }

        return new MomentStatistics { Dimension = Dimension, Count = count, Mean = _mean, CoMoment = _coMoment };
    }
}
