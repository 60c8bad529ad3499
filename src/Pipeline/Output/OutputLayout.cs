using System.Globalization;

namespace Fruits.Pipeline.Output;

/// <summary>Keys of everything a job writes, relative to its output location (same on disk and S3).</summary>
public static class OutputLayout
{
    public const string Plan = "_job/plan.json";

    /// <summary>Who is writing this output now (see <see cref="OutputLock"/>).</summary>
    public const string Lock = "_job/lock.json";
    public const string PcaModel = "pca_model.json";
    public const string Summary = "summary.json";
    public const string Errors = "errors.parquet";
    public const string Success = "_SUCCESS";
    public const string VariancePlot = "explained_variance.png";
    public const string ScatterPlot = "pca_scatter.png";
    public const string FeaturesPrefix = "_work/features/";
    public const string ErrorsPrefix = "_work/errors/";

    /// <summary>The statistics the PCA was fitted on (see <see cref="OutputMoments"/>).</summary>
    public const string Moments = "_work/moments.bin";

    public const string BatchManifestPrefix = "_job/batches/";

    public static string BatchManifest(int batch) => $"{BatchManifestPrefix}batch-{batch:D6}.json";

    public static string FeaturesPart(int batch) => $"{FeaturesPrefix}batch-{batch:D6}.parquet";

    public static string ErrorsPart(int batch) => $"{ErrorsPrefix}batch-{batch:D6}.parquet";

    /// <summary>The final parts sit at the top of the output, each named by this prefix and its batch number.</summary>
    public const string OutputPartPrefix = "part-";

    public static string OutputPart(int batch) => $"{OutputPartPrefix}{batch:D6}.parquet";

    /// <summary>Whether <paramref name="key"/> is a final part a job wrote (not a user's own file that looks like one).</summary>
    public static bool IsOutputPart(string key) => BatchOf(key, OutputPartPrefix, OutputPart) is not null;

    /// <summary>
    /// The batch number when <paramref name="key"/> is exactly the key <paramref name="keyOf"/> gives it under
    /// <paramref name="prefix"/>; else null. Whoever reads, resumes or clears an output matches keys this way, so a
    /// user's files beside a job's are never taken for the job's.
    /// </summary>
    public static int? BatchOf(string key, string prefix, Func<int, string> keyOf)
    {
        if (!key.StartsWith(prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var digits = new string(key.AsSpan(prefix.Length).ToString().SkipWhile(c => !char.IsAsciiDigit(c)).TakeWhile(char.IsAsciiDigit).ToArray());
        return int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var batch) && keyOf(batch) == key
            ? batch
            : null;
    }
}
