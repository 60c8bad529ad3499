using System.Globalization;
using Fruits.Pipeline.Classifying;
using Fruits.Pipeline.Statistics;

namespace Fruits.Pipeline.Evaluation;

/// <summary>
/// How good a job's features are for the classifier: k-nearest-neighbour accuracy (the classifier's own
/// distance-weighted vote) by stratified k-fold cross-validation at several PCA sizes and on the raw features,
/// with the confusions, exact duplicates and near-duplicates that explain the numbers.
/// </summary>
/// <remarks>
/// Folds are made per label, in path order, two ways. Interleaved: the i-th image of a label goes to fold i mod F, so
/// neighbouring frames of one video land in different folds, as a random split would put them. Blocked: each
/// label's images are cut into F contiguous runs, so frames close in the video stay in one fold and the test rows
/// have no near copy in training. The gap between the two is what near-duplicates add to the accuracy.
/// The PCA is fitted once on all rows (it sees no labels); a fit per fold would cost a 1280 x 1280
/// eigendecomposition each and change the components little.
/// </remarks>
public sealed class KnnEvaluator(int folds = 5, int neighbours = 10, int maxQueries = 2000)
{
    public const int RawDimensions = 1280;

    /// <summary>Near-duplicates are pairs closer than this fraction of the median distance between two rows.</summary>
    public const double NearDuplicateFraction = 0.1;

    public static IReadOnlyList<int> PcaSizes(int jobK) =>
        new[] { 8, 16, 32, 64, jobK, 128, 256 }.Where(d => d is > 0 and < RawDimensions).Distinct().Order().ToList();

    /// <param name="features">Rows x 1280 raw features, row-major.</param>
    /// <param name="hashes">Each row's image content hash (null where the image could not be read).</param>
    public EvaluationReport Evaluate(float[] features, IReadOnlyList<string> labels, IReadOnlyList<string> paths, IReadOnlyList<string?> hashes, int jobK)
    {
        ArgumentNullException.ThrowIfNull(features);
        var n = labels.Count;
        if (n < folds * 2 || features.Length != n * RawDimensions)
        {
            throw new ArgumentException($"evaluation needs at least {folds * 2} rows of {RawDimensions} features, got {n}");
        }

        var sizes = PcaSizes(jobK);
        var maxPca = Math.Min(sizes[^1], n - 1);
        sizes = sizes.Where(s => s <= maxPca).ToList();
        var model = new PcaFitter().Fit(MomentStatistics.FromRows(features, n, RawDimensions), new PcaSelection(FixedK: maxPca));
        var projected = new float[n * maxPca];
        new PcaProjector(model).Project(features, n, projected);

        var (interleaved, blocked) = Folds(labels, paths);
        var queries = Queries(labels, paths);
        var accuracy = new List<DimensionAccuracy>();
        int[]? predictedAtJobK = null;
        foreach (var size in sizes)
        {
            var predictedInterleaved = Predict(projected, maxPca, size, labels, interleaved, queries);
            accuracy.Add(new DimensionAccuracy(size, "pca", Accuracy(predictedInterleaved, labels, queries), Accuracy(Predict(projected, maxPca, size, labels, blocked, queries), labels, queries)));
            if (size == Math.Min(jobK, maxPca))
            {
                predictedAtJobK = predictedInterleaved;
            }
        }

        accuracy.Add(new DimensionAccuracy(RawDimensions, "raw",
            Accuracy(Predict(features, RawDimensions, RawDimensions, labels, interleaved, queries), labels, queries),
            Accuracy(Predict(features, RawDimensions, RawDimensions, labels, blocked, queries), labels, queries)));

        var labelNames = labels.Distinct(StringComparer.Ordinal).ToList();
        var confused = MostConfused(predictedAtJobK ?? Predict(projected, maxPca, sizes[^1], labels, interleaved, queries), labels, queries, labelNames);
        var duplicates = hashes
            .Select((hash, row) => (hash, row))
            .Where(h => h.hash is not null)
            .GroupBy(h => h.hash, StringComparer.Ordinal)
            .Where(g => g.Count() > 1)
            .Select(g => new DuplicateGroup(g.Select(h => paths[h.row]).ToList(), g.Select(h => labels[h.row]).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList()))
            .OrderByDescending(g => g.Labels.Count)
            .ThenBy(g => g.Paths[0], StringComparer.Ordinal)
            .ToList();

        var k = Math.Min(jobK, maxPca);
        var (threshold, share, nearDuplicates) = NearDuplicates(projected, maxPca, k, labels, paths);
        var warnings = new List<string>();
        var atK = accuracy.First(a => a.Space == "pca" && a.Dimensions == sizes.Where(s => s <= k).DefaultIfEmpty(sizes[0]).Max());
        if (atK.Interleaved - atK.Blocked > 0.02 || share > 0.5)
        {
            warnings.Add(string.Create(CultureInfo.InvariantCulture,
                $"near-duplicates inflate the accuracy: {share:P0} of the images have a near copy (closer than {threshold:G3}), and keeping neighbouring frames together (blocked folds) gives {atK.Blocked:P1} at {atK.Dimensions} dimensions against {atK.Interleaved:P1} for interleaved folds; expect photos unlike the training videos to score nearer the blocked figure"));
        }

        if (duplicates.Any(d => d.Labels.Count > 1))
        {
            warnings.Add($"{duplicates.Count(d => d.Labels.Count > 1)} group(s) of identical images carry different labels: label noise, or one image filed twice");
        }

        return new EvaluationReport(n, labelNames.Count, jobK, folds, neighbours, queries.Length,
            $"{folds} folds per label in path order: interleaved = the i-th image of a label in fold i mod {folds} (neighbouring frames split, like a random split); "
            + $"blocked = each label cut into {folds} contiguous runs (neighbouring frames together). Accuracy over {queries.Length} of {n} images (every label represented), "
            + $"each classified by the distance-weighted vote of its {neighbours} nearest images outside its fold; PCA fitted once on all rows.",
            accuracy, confused, duplicates, threshold, share, nearDuplicates, warnings);
    }

    private (int[] Interleaved, int[] Blocked) Folds(IReadOnlyList<string> labels, IReadOnlyList<string> paths)
    {
        var interleaved = new int[labels.Count];
        var blocked = new int[labels.Count];
        foreach (var group in Enumerable.Range(0, labels.Count).GroupBy(i => labels[i], StringComparer.Ordinal))
        {
            var rows = group.OrderBy(i => paths[i], StringComparer.Ordinal).ToList();
            for (var rank = 0; rank < rows.Count; rank++)
            {
                interleaved[rows[rank]] = rank % folds;
                blocked[rows[rank]] = (int)((long)rank * folds / rows.Count);
            }
        }

        return (interleaved, blocked);
    }

    /// <summary>At most <c>maxQueries</c> rows, spread evenly over the rows in (label, path) order, so every label is asked.</summary>
    private int[] Queries(IReadOnlyList<string> labels, IReadOnlyList<string> paths)
    {
        var ordered = Enumerable.Range(0, labels.Count)
            .OrderBy(i => labels[i], StringComparer.Ordinal)
            .ThenBy(i => paths[i], StringComparer.Ordinal)
            .ToArray();
        if (ordered.Length <= maxQueries)
        {
            return ordered;
        }

        return Enumerable.Range(0, maxQueries).Select(q => ordered[(int)((long)q * ordered.Length / maxQueries)]).ToArray();
    }

    private int[] Predict(float[] rows, int stride, int dimensions, IReadOnlyList<string> labels, int[] fold, int[] queries)
    {
        var predicted = new int[queries.Length];
        var labelIds = new Dictionary<string, int>(StringComparer.Ordinal);
        var ids = labels.Select(l => labelIds.TryGetValue(l, out var id) ? id : labelIds[l] = labelIds.Count).ToArray();
        var names = labelIds.OrderBy(p => p.Value).Select(p => p.Key).ToArray();
        Parallel.For(0, queries.Length, q =>
        {
            var row = queries[q];
            var query = rows.AsSpan(row * stride, dimensions);
            var best = new NearestList(neighbours);
            for (var r = 0; r < labels.Count; r++)
            {
                if (fold[r] != fold[row])
                {
                    best.Offer(ExactIndex.SquaredDistance(query, rows.AsSpan(r * stride, dimensions)), r);
                }
            }

            var nearest = Enumerable.Range(0, best.Count)
                .Select(i => new NearestRow("", names[ids[best.RowAt(i)]], MathF.Sqrt(best.DistanceAt(i))))
                .ToList();
            predicted[q] = nearest.Count == 0 ? -1 : labelIds[LabelVote.Tally(nearest, 1)[0].Label];
        });

        // Label ids follow first appearance in rows, the same as LabelIds gives.
        return predicted;
    }

    private static double Accuracy(int[] predicted, IReadOnlyList<string> labels, int[] queries)
    {
        var ids = LabelIds(labels);
        return (double)queries.Where((row, q) => predicted[q] == ids[row]).Count() / queries.Length;
    }

    private static int[] LabelIds(IReadOnlyList<string> labels)
    {
        var labelIds = new Dictionary<string, int>(StringComparer.Ordinal);
        return labels.Select(l => labelIds.TryGetValue(l, out var id) ? id : labelIds[l] = labelIds.Count).ToArray();
    }

    private static IReadOnlyList<ConfusedPair> MostConfused(int[] predicted, IReadOnlyList<string> labels, int[] queries, List<string> names)
    {
        var ids = LabelIds(labels);
        return queries
            .Select((row, q) => (Truth: ids[row], Predicted: predicted[q]))
            .Where(p => p.Predicted >= 0 && p.Predicted != p.Truth)
            .GroupBy(p => p)
            .Select(g => new ConfusedPair(names[g.Key.Truth], names[g.Key.Predicted], g.Count()))
            .OrderByDescending(p => p.Count)
            .ThenBy(p => p.Label, StringComparer.Ordinal)
            .Take(10)
            .ToList();
    }

    /// <summary>
    /// Each row's nearest other row at the job's k: the threshold is a fraction of the median distance between two
    /// rows; pairs under it with different labels are listed (nearest first), and the share of rows with any near copy is reported.
    /// </summary>
    private static (float Threshold, double Share, IReadOnlyList<NearDuplicate> Different) NearDuplicates(
        float[] rows, int stride, int k, IReadOnlyList<string> labels, IReadOnlyList<string> paths)
    {
        var n = labels.Count;
        var sample = new List<float>();
        var step = Math.Max(1, (n * n / 2) / 20_000);
        for (long pair = 0; pair < (long)n * n && sample.Count < 20_000; pair += step)
        {
            var (a, b) = ((int)(pair / n), (int)(pair % n));
            if (a < b)
            {
                sample.Add(MathF.Sqrt(ExactIndex.SquaredDistance(rows.AsSpan(a * stride, k), rows.AsSpan(b * stride, k))));
            }
        }

        sample.Sort();
        var threshold = (float)(NearDuplicateFraction * (sample.Count == 0 ? 0 : sample[sample.Count / 2]));
        var nearest = new (int Row, float Distance)[n];
        Parallel.For(0, n, i =>
        {
            var best = (Row: -1, Distance: float.PositiveInfinity);
            var query = rows.AsSpan(i * stride, k);
            for (var r = 0; r < n; r++)
            {
                if (r == i)
                {
                    continue;
                }

                var d = ExactIndex.SquaredDistance(query, rows.AsSpan(r * stride, k));
                if (d < best.Distance)
                {
                    best = (r, d);
                }
            }

            nearest[i] = (best.Row, MathF.Sqrt(best.Distance));
        });

        var share = (double)nearest.Count(x => x.Distance <= threshold) / n;
        var different = nearest
            .Select((x, i) => (i, x.Row, x.Distance))
            // A pair that are each other's nearest is listed once.
            .Where(x => x.Row >= 0 && x.Distance <= threshold && labels[x.i] != labels[x.Row] && !(nearest[x.Row].Row == x.i && x.Row < x.i))
            .OrderBy(x => x.Distance)
            .Take(50)
            .Select(x => new NearDuplicate(paths[x.i], labels[x.i], paths[x.Row], labels[x.Row], x.Distance))
            .ToList();
        return (threshold, share, different);
    }
}
