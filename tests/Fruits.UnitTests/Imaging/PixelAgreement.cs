namespace Fruits.UnitTests.Imaging;

/// <summary>How closely two RGB888 buffers agree; a pixel counts as within N when all three channels are.</summary>
internal readonly record struct PixelAgreement(int Pixels, int Exact, int WithinOne, int MaxDiff)
{
    public double WithinOneFraction => (double)WithinOne / Pixels;

    public static PixelAgreement Compare(ReadOnlySpan<byte> actual, ReadOnlySpan<byte> expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        int exact = 0, withinOne = 0, max = 0;
        for (var i = 0; i < actual.Length; i += 3)
        {
            var d = Math.Max(Math.Abs(actual[i] - expected[i]), Math.Max(Math.Abs(actual[i + 1] - expected[i + 1]), Math.Abs(actual[i + 2] - expected[i + 2])));
            if (d == 0) exact++;
            if (d <= 1) withinOne++;
            max = Math.Max(max, d);
        }
        return new PixelAgreement(actual.Length / 3, exact, withinOne, max);
    }

    public override string ToString() =>
        $"{Pixels} px: exact {100.0 * Exact / Pixels:F3}%, <=1 {100.0 * WithinOneFraction:F3}%, max diff {MaxDiff}";
}
