namespace Fruits.Models;

/// <summary>
/// The rule that picks calibration images: the Test split's files in ordinal order of their relative paths,
/// every (count / wanted)-th one starting at <c>offset</c>, so the set spreads over all labels and never
/// depends on who runs it. The study's evaluation set is the same rule with the offset at half a stride.
/// </summary>
public static class CalibrationImages
{
    public const int DefaultCount = 256;

    public static IReadOnlyList<string> Select(IReadOnlyList<string> sortedFiles, int wanted, bool evaluation = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(wanted);
        var stride = Math.Max(1, sortedFiles.Count / wanted);
        var offset = evaluation ? stride / 2 : 0;
        return Enumerable.Range(0, wanted).Select(i => offset + (i * stride)).Where(i => i < sortedFiles.Count).Select(i => sortedFiles[i]).ToList();
    }
}
