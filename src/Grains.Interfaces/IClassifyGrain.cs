namespace Fruits.Grains.Interfaces;

/// <summary>"What fruit is this?": a photo featurized as the job did, projected with its PCA and matched against its index.</summary>
[Alias("Fruits.IClassifyGrain")]
public interface IClassifyGrain : IGrainWithIntegerKey
{
    /// <param name="output">A finished job's output location, as <c>StorageLocation.Parse</c> normalizes it.</param>
    /// <param name="image">The photo's encoded bytes (JPEG, PNG, ...).</param>
    /// <param name="top">How many labels to answer.</param>
    [Alias("Classify"), ResponseTimeout("00:10:00")]
    Task<ClassifyResult> Classify(string output, byte[] image, int top);
}
