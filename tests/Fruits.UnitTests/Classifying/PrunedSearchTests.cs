using System.Numerics;
using Fruits.Pipeline.Classifying;

namespace Fruits.UnitTests.Classifying;

/// <summary>
/// The block-by-block pruning of <see cref="ExactIndex"/> must be invisible: every search answers the rows, the
/// distances (to the bit) and the order that scoring every whole row and sorting by (distance, row) answers.
/// </summary>
public sealed class PrunedSearchTests
{
    public static TheoryData<int, int, bool, bool> Cases()
    {
        var cases = new TheoryData<int, int, bool, bool>();
        foreach (var dimension in new[] { 3, 8, 9, 13, 16, 17, 24, 37, 61, 64 })
        {
            foreach (var decreasing in new[] { false, true })
            {
                cases.Add(dimension, 2_000, decreasing, false);
            }
        }

        // Duplicated rows: ties at every distance, broken by row order.
        cases.Add(61, 3_000, true, true);
        cases.Add(13, 3_000, false, true);
        // Scanned in parallel slices, with copies of one row in every slice.
        cases.Add(61, ExactIndex.ParallelRows + 3_001, true, true);
        cases.Add(61, ExactIndex.ParallelRows + 3_001, false, false);
        cases.Add(5, ExactIndex.ParallelRows + 3_001, false, true);
        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Search_answers_what_scoring_every_whole_row_answers(int dimension, int rows, bool decreasingVariance, bool duplicates)
    {
        var random = new Random((dimension * 31) + rows + (decreasingVariance ? 1 : 0) + (duplicates ? 2 : 0));
        var data = new float[rows * dimension];
        // With duplicates, rows repeat with a period of 997: each distinct row is held several times, far apart.
        var distinct = duplicates ? 997 : rows;
        for (var r = 0; r < distinct; r++)
        {
            for (var j = 0; j < dimension; j++)
            {
                // Decreasing variance, as PCA components have it: the first block holds most of every distance.
                var scale = decreasingVariance ? MathF.Pow(0.8f, j) * 10 : 1;
                data[(r * dimension) + j] = (float)(random.NextDouble() - 0.5) * scale;
            }
        }

        for (var r = distinct; r < rows; r++)
        {
            data.AsSpan((r % distinct) * dimension, dimension).CopyTo(data.AsSpan(r * dimension));
        }

        var paths = Enumerable.Range(0, rows).Select(i => $"/images/{i}.jpg").ToList();
        var labels = Enumerable.Range(0, rows).Select(i => $"label-{i % 11}").ToList();
        var index = new ExactIndex(dimension, data, labels, paths);

        var queries = new List<float[]>
        {
            // A held row: distance 0, shared by all its copies.
            data.AsSpan(5 * dimension, dimension).ToArray(),
            // A held row slightly moved, and points anywhere.
            data.AsSpan(700 * dimension, dimension).ToArray().Select(v => v + 0.01f).ToArray(),
        };
        for (var i = 0; i < 2; i++)
        {
            queries.Add(Enumerable.Range(0, dimension).Select(j => (float)(random.NextDouble() - 0.5) * (decreasingVariance ? MathF.Pow(0.8f, j) * 10 : 1)).ToArray());
        }

        foreach (var query in queries)
        {
            var distances = WholeRowDistances(data, dimension, query);
            foreach (var top in new[] { 1, 5, 8, 10, 17, 50 })
            {
                var expected = Enumerable.Range(0, rows)
                    .OrderBy(r => distances[r])
                    .ThenBy(r => r)
                    .Take(top)
                    .ToList();

                var actual = index.Search(query, top);
                var found = index.SearchRows(query, top);

                Assert.Equal(expected.Select(r => paths[r]), actual.Select(a => a.Path));
                Assert.Equal(expected.Select(r => labels[r]), actual.Select(a => a.Label));
                Assert.Equal(expected.Select(r => MathF.Sqrt(distances[r])), actual.Select(a => a.Distance));
                Assert.Equal(expected, Enumerable.Range(0, found.Count).Select(found.RowAt));
                Assert.Equal(expected.Select(r => distances[r]), Enumerable.Range(0, found.Count).Select(found.DistanceAt));
            }
        }
    }

    [Fact]
    public void Every_copy_of_a_queried_row_is_at_distance_zero_and_they_come_in_row_order()
    {
        const int dimension = 40;
        var random = new Random(3);
        var row = Enumerable.Range(0, dimension).Select(_ => (float)random.NextDouble()).ToArray();
        var data = new float[100 * dimension];
        for (var r = 0; r < 100; r++)
        {
            for (var j = 0; j < dimension; j++)
            {
                data[(r * dimension) + j] = r % 10 == 3 ? row[j] : row[j] + 1 + (float)random.NextDouble();
            }
        }

        var index = new ExactIndex(dimension, data, Enumerable.Repeat("x", 100).ToList(), Enumerable.Range(0, 100).Select(i => $"p{i:D3}").ToList());

        var found = index.Search(row, 12);

        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"p{(i * 10) + 3:D3}"), found.Take(10).Select(f => f.Path));
        Assert.All(found.Take(10), f => Assert.Equal(0f, f.Distance));
        Assert.All(found.Skip(10), f => Assert.True(f.Distance > 1));
    }

    [Fact]
    public void Rows_cost_their_padded_features_and_no_more_for_the_split()
    {
        var width = Vector<float>.Count;
        var index = new ExactIndex(61, new float[61], ["a"], ["p"]);
        var unsplit = new ExactIndex(13, new float[13], ["a"], ["p"]);

        // 61 features in blocks of 8, 8 and 45: only the last is padded, by less than one vector.
        var features = index.BytesPerRow() - unsplit.BytesPerRow() + ((13 + width - 1) / width * width * sizeof(float));
        Assert.InRange(features, 61 * sizeof(float), (61 + width) * sizeof(float));
    }

    /// <summary>Squared distances as one SIMD sum over each whole row padded with zeros, the way an unpruned scan scores a row.</summary>
    private static float[] WholeRowDistances(float[] data, int dimension, float[] query)
    {
        var width = Vector<float>.Count;
        var stride = (dimension + width - 1) / width * width;
        var paddedQuery = new float[stride];
        query.CopyTo(paddedQuery, 0);
        var paddedRow = new float[stride];
        var rows = data.Length / dimension;
        var distances = new float[rows];
        for (var r = 0; r < rows; r++)
        {
            data.AsSpan(r * dimension, dimension).CopyTo(paddedRow);
            distances[r] = ExactIndex.SquaredDistance(paddedQuery, paddedRow);
        }

        return distances;
    }
}
