namespace Fruits.Silo.Storage;

/// <summary>Where <see cref="FileGrainStorage"/> keeps grain state: one file per grain under <see cref="Directory"/>.</summary>
public sealed class FileGrainStorageOptions
{
    public string Directory { get; set; } = "";
}
