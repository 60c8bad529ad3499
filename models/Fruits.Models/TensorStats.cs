namespace Fruits.Models;

/// <summary>
/// What calibration saw of one activation tensor (NCHW): its range, per-channel means and maxima, and a
/// histogram over the range (filled by a second pass, once the range is known).
/// </summary>
public sealed class TensorStats(int channels)
{
    public const int Bins = 2048;

    private readonly double[] _channelSum = new double[channels];
    private long _channelCount;

    public int Channels { get; } = channels;

    public float Min { get; private set; } = float.PositiveInfinity;

    public float Max { get; private set; } = float.NegativeInfinity;

    public float[] ChannelMax { get; } = Enumerable.Repeat(float.NegativeInfinity, channels).ToArray();

    public float[] ChannelMin { get; } = Enumerable.Repeat(float.PositiveInfinity, channels).ToArray();

    public long[] Histogram { get; } = new long[Bins];

    public float[] ChannelMean => _channelSum.Select(s => (float)(s / Math.Max(1, _channelCount))).ToArray();

    /// <summary>First pass: range, channel maxima and means over <paramref name="images"/> NCHW images.</summary>
    public void Observe(ReadOnlySpan<float> nchw, int images)
    {
        var plane = nchw.Length / (images * Channels);
        var (min, max) = (Min, Max);
        for (var n = 0; n < images; n++)
        {
            for (var c = 0; c < Channels; c++)
            {
                var values = nchw.Slice(((n * Channels) + c) * plane, plane);
                double sum = 0;
                var (channelMin, channelMax) = (ChannelMin[c], ChannelMax[c]);
                foreach (var v in values)
                {
                    sum += v;
                    channelMin = Math.Min(channelMin, v);
                    channelMax = Math.Max(channelMax, v);
                }

                (ChannelMin[c], ChannelMax[c]) = (channelMin, channelMax);
                min = Math.Min(min, channelMin);
                max = Math.Max(max, channelMax);
                _channelSum[c] += sum / plane;
            }
        }

        (Min, Max) = (min, max);
        _channelCount += images;
    }

    /// <summary>Second pass: the histogram of values over [<see cref="Min"/>, <see cref="Max"/>].</summary>
    public void ObserveHistogram(ReadOnlySpan<float> values)
    {
        var width = Math.Max(Max - Min, 1e-12f);
        foreach (var v in values)
        {
            var bin = (int)((v - Min) / width * Bins);
            Histogram[Math.Clamp(bin, 0, Bins - 1)]++;
        }
    }

    /// <summary>The range to quantize over, always containing zero so that zero is exact.</summary>
    public (float Lo, float Hi) Range(Int8Recipe recipe, int levels)
    {
        var (lo, hi) = recipe.Calibration switch
        {
            ActivationCalibration.MinMax => (Min, Max),
            ActivationCalibration.Percentile => PercentileRange(recipe.Percentile),
            _ => MseRange(levels),
        };
        return (Math.Min(lo, 0f), Math.Max(hi, 0f));
    }

    private float BinEdge(int bin) => Min + ((Max - Min) * bin / Bins);

    private (float Lo, float Hi) PercentileRange(double percentile)
    {
        var total = Histogram.Sum();
        var tail = (long)(total * (100 - percentile) / 100);
        var (lo, hi) = (0, Bins);
        for (long seen = 0; lo < Bins && seen + Histogram[lo] <= tail; lo++)
        {
            seen += Histogram[lo];
        }

        for (long seen = 0; hi > 0 && seen + Histogram[hi - 1] <= tail; hi--)
        {
            seen += Histogram[hi - 1];
        }

        return (Min >= 0 ? Min : BinEdge(lo), BinEdge(hi));
    }

    /// <summary>Shrinks the range by a common factor (the low end too for signed tensors) to the least expected squared error.</summary>
    private (float Lo, float Hi) MseRange(int levels)
    {
        var best = (Error: double.PositiveInfinity, Lo: Min, Hi: Max);
        for (var step = 1; step <= 200; step++)
        {
            var factor = step / 200f;
            var lo = Min >= 0 ? Min : Min * factor;
            var hi = Max * factor;
            var delta = (double)(hi - lo) / (levels - 1);
            double error = 0;
            for (var bin = 0; bin < Bins; bin++)
            {
                var count = Histogram[bin];
                if (count == 0)
                {
                    continue;
                }

                var centre = (double)BinEdge(bin) + ((Max - Min) / (2.0 * Bins));
                var clipped = Math.Clamp(centre, lo, hi);
                error += count * (centre == clipped ? delta * delta / 12 : (centre - clipped) * (centre - clipped));
            }

            if (error < best.Error)
            {
                best = (error, lo, hi);
            }
        }

        return (best.Lo, best.Hi);
    }
}
