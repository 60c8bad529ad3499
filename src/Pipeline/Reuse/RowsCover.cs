namespace Fruits.Pipeline.Reuse;

/// <summary>
/// Which of a job's listed images the rows of earlier statistics account for. Statistics are sums over rows, so those
/// of a set of rows that is part of the job's (a folder that only grew) are the job's own minus the rows it added:
/// the job adds just those to them. A row stands for its image's content, so an image listed twice is two rows, and
/// earlier statistics cover at most as many copies as they counted.
/// </summary>
public static class RowsCover
{
    /// <summary>
    /// For each listed image, whether it is one of the rows <paramref name="kept"/> (each kept row matched to one listed
    /// image with that content, the first listed ones first); null when some kept row matches no listed image left.
    /// </summary>
    /// <param name="listed">Each listed image's content hash prefix (<see cref="RowsFingerprint.Resolve"/>), null when unknown.</param>
    /// <param name="kept">The kept statistics' rows, sorted.</param>
    public static bool[]? Assign(IReadOnlyList<UInt128?> listed, ReadOnlySpan<UInt128> kept)
    {
        ArgumentNullException.ThrowIfNull(listed);
        var known = new List<(UInt128 Prefix, int Image)>(listed.Count);
        for (var i = 0; i < listed.Count; i++)
        {
            if (listed[i] is { } prefix)
            {
                known.Add((prefix, i));
            }
        }

        // Both sorted: one walk matches each kept row to the next listed image of the same content.
        known.Sort();
        var covered = new bool[listed.Count];
        var at = 0;
        foreach (var row in kept)
        {
            while (at < known.Count && known[at].Prefix < row)
            {
                at++;
            }

            if (at == known.Count || known[at].Prefix != row)
            {
                return null;
            }

            covered[known[at++].Image] = true;
        }

        return covered;
    }
}
