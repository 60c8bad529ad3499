namespace Fruits.Grains.Interfaces;

/// <summary>Why a classification has no answer; each maps to one HTTP status and one CLI exit code.</summary>
[GenerateSerializer, Alias("Fruits.ClassifyProblem")]
public enum ClassifyProblem
{
    None = 0,

    /// <summary>A parameter out of range (top).</summary>
    BadRequest = 1,

    /// <summary>The photo is not a usable image: the job's decoder's reason.</summary>
    BadImage = 2,

    /// <summary>No finished job at the output, or its files cannot be read.</summary>
    OutputNotFound = 3,
}
