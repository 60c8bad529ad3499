namespace Fruits.Pipeline.Imaging;

/// <summary>An input that cannot become a model tensor; <see cref="Exception.Message"/> is the reason recorded in errors.parquet.</summary>
public sealed class ImageDecodeException(string reason) : Exception(reason);
