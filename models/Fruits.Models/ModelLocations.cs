namespace Fruits.Models;

/// <summary>Default locations of the model and the raw weights (TEMPORARY stub until the model builder lands).</summary>
public static class ModelLocations
{
    public static string DefaultModelPath() => throw new NotImplementedException();

    public static string? DefaultWeightsDirectory() => throw new NotImplementedException();

    public static string? SharedRoot() => throw new NotImplementedException();
}
