namespace Fruits.Grains.Interfaces;

/// <summary>
/// The answer for one photo: the top labels and the nearest images, or, when <see cref="Problem"/> is set, the
/// one-line <see cref="Reason"/> there is no answer.
/// </summary>
[GenerateSerializer, Immutable, Alias("Fruits.ClassifyResult")]
public sealed record ClassifyResult(
    [property: Id(0)] ClassifyProblem Problem,
    [property: Id(1)] string? Reason,
    [property: Id(2)] IReadOnlyList<LabelScore> Labels,
    [property: Id(3)] IReadOnlyList<NearestImage> Nearest,
    [property: Id(4)] int Dimensions,
    [property: Id(5)] long IndexRows,
    [property: Id(6)] double Seconds)
{
    public static ClassifyResult Failed(ClassifyProblem problem, string reason) => new(problem, reason, [], [], 0, 0, 0);
}
