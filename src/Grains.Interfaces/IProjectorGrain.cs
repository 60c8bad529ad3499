namespace Fruits.Grains.Interfaces;

/// <summary>Projects one stored features part onto the fitted components and writes the final part.</summary>
[Alias("Fruits.IProjectorGrain")]
public interface IProjectorGrain : IGrainWithIntegerKey
{
    [Alias("Project"), ResponseTimeout("00:10:00")]
    Task<BatchResult> Project(ProjectRequest request);
}
