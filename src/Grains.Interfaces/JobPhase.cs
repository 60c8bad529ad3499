namespace Fruits.Grains.Interfaces;

[GenerateSerializer, Alias("Fruits.JobPhase")]
public enum JobPhase
{
    NotStarted,
    Listing,
    Featurizing,
    FittingPca,
    Projecting,
    Writing,
    Completed,
    Failed,

    /// <summary>Stopped by <c>fruits cancel</c>; its stored work is kept, so submitting the same spec resumes it.</summary>
    Cancelled,
}
