using Fruits.Pipeline.Imaging;

namespace Fruits.Grains;

/// <summary>Per-silo featurizer settings, bound from configuration section "Fruits:Featurizer".</summary>
public sealed class FeaturizerOptions
{
    public const string Section = "Fruits:Featurizer";

    /// <summary>The ONNX model file; built from <see cref="WeightsDirectory"/> when missing. Empty = the repo's models/ folder.</summary>
    public string ModelPath { get; set; } = "";

    /// <summary>The raw MobileNetV2 tensors; empty = ../shared/models/mobilenet_v2_1.0_224 when found, else download.</summary>
    public string WeightsDirectory { get; set; } = "";

    /// <summary>Batches this silo featurizes at once (one ONNX session each). 0 = one per core.</summary>
    public int MaxConcurrentBatches { get; set; }

    /// <summary>ONNX Runtime intra-op threads per session.</summary>
    public int IntraOpThreads { get; set; } = 1;

    /// <summary>Images per ONNX Runtime call. One is fastest on CPUs: a single image's activations stay in cache (see docs/BENCHMARKS.md).</summary>
    public int InferenceBatchSize { get; set; } = 1;

    /// <summary>
    /// Image reads a featurizer keeps in flight ahead of the image it is working on, so it does not wait on
    /// storage (an S3 GET is slower than an image's inference). 0 = read each image when it is needed.
    /// </summary>
    public int ReadAhead { get; set; } = 8;

    /// <summary>Build and run one session per slot while the silo starts, before it takes work.</summary>
    public bool WarmSessionsOnStart { get; set; } = true;

    /// <summary>
    /// The longest one image's read may take before the image is recorded as failed, so a stuck read
    /// (a hung network mount, a stalled S3 connection) cannot hold a featurizer slot forever.
    /// </summary>
    public TimeSpan ReadTimeout { get; set; } = TimeSpan.FromSeconds(60);

    public long MaxImagePixels { get; set; } = ImageLimits.Default.MaxPixels;

    public long MaxImageBytes { get; set; } = ImageLimits.Default.MaxBytes;

    public int MaxImageWidth { get; set; } = ImageLimits.Default.MaxWidth;

    public int MaxImageHeight { get; set; } = ImageLimits.Default.MaxHeight;

    public double MaxImageAspectRatio { get; set; } = ImageLimits.Default.MaxAspectRatio;

    /// <summary>All the image limits above, for the featurizer's <see cref="ImagePreprocessor"/>.</summary>
    public ImageLimits ImageLimits => new(MaxImagePixels, MaxImageBytes, MaxImageWidth, MaxImageHeight, MaxImageAspectRatio);

    /// <summary>
    /// Memory this silo may hold of the features its featurizers committed, so the job's projection on this silo
    /// does not read them back from storage (see <see cref="ProjectionFeatureCache"/>). 256 MiB holds about
    /// 50,000 images' features; batches beyond it are read as usual. 0 turns the cache off.
    /// </summary>
    public long ProjectionCacheBytes { get; set; } = 256L * 1024 * 1024;

    public int EffectiveConcurrency => MaxConcurrentBatches > 0 ? MaxConcurrentBatches : Environment.ProcessorCount;

    public int EffectiveReadAhead => Math.Max(0, ReadAhead);
}
