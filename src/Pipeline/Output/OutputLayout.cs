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

    public const string BatchManifestPrefix = "_job/batches/";

    public static string BatchManifest(int batch) => $"{BatchManifestPrefix}batch-{batch:D6}.json";

    public static string FeaturesPart(int batch) => $"{FeaturesPrefix}batch-{batch:D6}.parquet";

    public static string ErrorsPart(int batch) => $"{ErrorsPrefix}batch-{batch:D6}.parquet";

    public static string OutputPart(int batch) => $"part-{batch:D6}.parquet";
}
