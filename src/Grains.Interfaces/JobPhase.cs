namespace Fruits.Grains;

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
}
