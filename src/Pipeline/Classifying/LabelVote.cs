namespace Fruits.Pipeline.Classifying;

/// <summary>A label's share of the neighbours' distance-weighted votes (scores of all labels sum to 1).</summary>
public sealed record LabelVote(string Label, double Score, int Votes)
{
    /// <summary>
    /// Each neighbour votes for its label with weight 1 / (distance + epsilon): a near copy outweighs several
    /// distant rows, and an exact copy (distance 0) does not divide by zero. Best first; ties by label.
    /// </summary>
    public static IReadOnlyList<LabelVote> Tally(IReadOnlyList<NearestRow> neighbours, int top)
    {
        ArgumentNullException.ThrowIfNull(neighbours);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(top);
        const double epsilon = 1e-6;
        var weights = new Dictionary<string, (double Weight, int Votes)>(StringComparer.Ordinal);
        var total = 0.0;
        foreach (var row in neighbours)
        {
            var weight = 1.0 / (row.Distance + epsilon);
            var (sum, votes) = weights.GetValueOrDefault(row.Label);
            weights[row.Label] = (sum + weight, votes + 1);
            total += weight;
        }

        return weights
            .Select(w => new LabelVote(w.Key, w.Value.Weight / total, w.Value.Votes))
            .OrderByDescending(v => v.Score)
            .ThenBy(v => v.Label, StringComparer.Ordinal)
            .Take(top)
            .ToList();
    }
}
