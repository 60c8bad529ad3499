using System.Text.Json;
using Fruits.Pipeline.Statistics;

namespace Fruits.UnitTests.Statistics;

public sealed class PcaModelJsonTests
{
    [Theory]
    [InlineData(null)]
    [InlineData(5)]
    public void Round_trips_exactly(int? fixedK)
    {
        const int count = 90, dimension = 20;
        var rows = StatisticsTestData.LowRankRows(2, count, dimension, 6, 0.6);
        var model = new PcaFitter().Fit(MomentStatistics.FromRows(rows, count, dimension), new PcaSelection(0.8, fixedK));
        var json = PcaModelJson.Serialize(model);
        var back = PcaModelJson.Deserialize(json);

        Assert.Equal(model.Dimension, back.Dimension);
        Assert.Equal(model.Count, back.Count);
        Assert.Equal(model.K, back.K);
        Assert.Equal(model.Selection, back.Selection);
        Assert.Equal(model.Mean, back.Mean);
        Assert.Equal(model.Components, back.Components);
        Assert.Equal(model.Eigenvalues, back.Eigenvalues);
        Assert.Equal(model.ExplainedVarianceRatio, back.ExplainedVarianceRatio);
        Assert.Equal(model.VarianceKept, back.VarianceKept);
        Assert.Equal(json, PcaModelJson.Serialize(back));

        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        Assert.Equal(model.K, root.GetProperty("components").GetArrayLength());
        Assert.Equal(dimension, root.GetProperty("components")[0].GetArrayLength());
        Assert.Equal(model.VarianceKept, root.GetProperty("variance_kept").GetDouble());
        var cumulative = root.GetProperty("cumulative_explained_variance").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal(dimension, cumulative.Length);
        Assert.Equal(model.VarianceKept, cumulative[model.K - 1]);
        Assert.Equal(0.8, root.GetProperty("threshold").GetDouble());
        Assert.Equal(fixedK is null ? JsonValueKind.Null : JsonValueKind.Number, root.GetProperty("fixed_k").ValueKind);
    }

    [Fact]
    public void Rejects_inconsistent_lengths()
    {
        var model = new PcaFitter().Fit(PcaFitterTests.Diagonal(3, 2, 1), new PcaSelection(FixedK: 2));
        var text = System.Text.Encoding.UTF8.GetString(PcaModelJson.Serialize(model)).Replace("\"k\":2", "\"k\":1");
        Assert.Throws<InvalidDataException>(() => PcaModelJson.Deserialize(System.Text.Encoding.UTF8.GetBytes(text)));
    }
}
