namespace Fruits.Pipeline.Imaging;

/// <summary>
/// Fixed-point bicubic weights for one axis, computed exactly as Pillow's
/// <c>precompute_coeffs</c> + <c>normalize_coeffs_8bpc</c> (libImaging/Resample.c) so results match bit for bit.
/// </summary>
internal sealed class ResampleCoefficients
{
    // Pillow: PRECISION_BITS = 32 - 8 - 2, leaving headroom for 8-bit samples times weights summing to ~1.
    public const int PrecisionBits = 32 - 8 - 2;

    // Pillow's bicubic filter support (a = -0.5 Keys kernel is non-zero on (-2, 2)).
    private const double BicubicSupport = 2.0;

    public ResampleCoefficients(int inSize, int outSize)
    {
        InSize = inSize;
        OutSize = outSize;

        // Pillow passes the box edges as floats; for the full-image box they are exact integers.
        var scale = (double)inSize / outSize;
        var filterScale = Math.Max(scale, 1.0);
        var support = BicubicSupport * filterScale;
        KernelSize = (int)Math.Ceiling(support) * 2 + 1;

        Bounds = new int[outSize * 2];
        Weights = new int[outSize * KernelSize];
        var pre = new double[KernelSize];
        for (var xx = 0; xx < outSize; xx++)
        {
            var center = (xx + 0.5) * scale;
            var ww = 0.0;
            var ss = 1.0 / filterScale;
            // C casts truncate toward zero; (int) in C# does the same, which matters for negative starts.
            var xmin = (int)(center - support + 0.5);
            if (xmin < 0) xmin = 0;
            var xmax = (int)(center + support + 0.5);
            if (xmax > inSize) xmax = inSize;
            xmax -= xmin;

            Array.Clear(pre);
            for (var x = 0; x < xmax; x++)
            {
                var w = Bicubic((x + xmin - center + 0.5) * ss);
                pre[x] = w;
                ww += w;
            }
            for (var x = 0; x < xmax; x++)
            {
                if (ww != 0.0) pre[x] /= ww;
            }

            var row = Weights.AsSpan(xx * KernelSize, KernelSize);
            for (var x = 0; x < KernelSize; x++)
            {
                // Pillow rounds half away from zero before truncating.
                row[x] = pre[x] < 0
                    ? (int)(-0.5 + pre[x] * (1 << PrecisionBits))
                    : (int)(0.5 + pre[x] * (1 << PrecisionBits));
            }
            Bounds[xx * 2] = xmin;
            Bounds[xx * 2 + 1] = xmax;
        }

        PairWeights = new int[(outSize + 1) / 2 * KernelSize * 8];
        for (var xx = 0; xx < outSize; xx++)
        {
            for (var x = 0; x < KernelSize; x++)
            {
                PairWeights.AsSpan(((xx / 2 * KernelSize) + x) * 8 + (xx % 2 * 4), 4).Fill(Weights[xx * KernelSize + x]);
            }
        }
    }

    public int InSize { get; }
    public int OutSize { get; }
    public int KernelSize { get; }

    /// <summary>Pairs of (first source index, tap count) per output index.</summary>
    public int[] Bounds { get; }

    /// <summary><see cref="KernelSize"/> fixed-point weights per output index; taps past the count are zero.</summary>
    public int[] Weights { get; }

    /// <summary>
    /// The weights of output indices 2j and 2j + 1 side by side, each repeated 4 times, in groups of 8 per tap:
    /// one vector load per tap when two RGB pixels are resampled at once.
    /// </summary>
    public int[] PairWeights { get; }

    /// <summary>What the three tables occupy.</summary>
    public long ByteSize => ((long)Bounds.Length + Weights.Length + PairWeights.Length) * sizeof(int);

    public bool Matches(int inSize, int outSize) => InSize == inSize && OutSize == outSize;

    private static double Bicubic(double x)
    {
        // Pillow's bicubic_filter with a = -0.5, expression order kept so doubles round identically.
        const double a = -0.5;
        if (x < 0.0) x = -x;
        if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
        return 0.0;
    }
}
