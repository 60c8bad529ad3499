using System.Text.Json;

namespace Fruits.IntegrationTests.Observability;

/// <summary>The silo's compact-JSON logs carry the job and batch ids as properties on every batch line.</summary>
[Collection(SiloProcessCollection.Name)]
public sealed class StructuredLogTests(SiloProcessFixture fixture)
{
    private static readonly string[] BatchSources =
    [
        "Fruits.Grains.FeaturizerGrain", "Fruits.Grains.ProjectorGrain", "Fruits.Grains.SiloRouterGrain", "Fruits.Grains.PartStatisticsGrain",
    ];

    [Fact]
    public void Every_batch_log_line_carries_JobId_and_BatchId()
    {
        var events = LogEvents().Where(e => e.TryGetProperty("SourceContext", out var source) && source.GetString()!.StartsWith("Fruits.Grains.", StringComparison.Ordinal)).ToList();
        var batchLines = events.Where(e => BatchSources.Contains(e.GetProperty("SourceContext").GetString())).ToList();
        Assert.NotEmpty(batchLines);

        var missing = batchLines.Where(e => !e.TryGetProperty("JobId", out var job) || job.ValueKind != JsonValueKind.String
            || !e.TryGetProperty("BatchId", out var batch) || batch.ValueKind != JsonValueKind.Number).ToList();
        Assert.True(missing.Count == 0, "batch lines without JobId/BatchId:\n" + string.Join('\n', missing.Select(e => e.GetRawText())));

        // The scope's BatchId is the batch the line is about, and every batch of the job shows up in both phases.
        var ours = batchLines.Where(e => e.GetProperty("JobId").GetString() == fixture.JobId).ToList();
        Assert.All(ours.Where(e => e.TryGetProperty("BatchIndex", out _)), e => Assert.Equal(e.GetProperty("BatchIndex").GetInt32(), e.GetProperty("BatchId").GetInt32()));
        var expected = Enumerable.Range(0, SiloProcessFixture.Batches).ToHashSet();
        Assert.Equal(expected, BatchIds(ours, "Fruits.Grains.FeaturizerGrain"));
        Assert.Equal(expected, BatchIds(ours, "Fruits.Grains.ProjectorGrain"));
        Assert.Equal(expected, BatchIds(ours, "Fruits.Grains.SiloRouterGrain"));

        var jobLines = events.Where(e => e.GetProperty("SourceContext").GetString() == "Fruits.Grains.JobGrain").ToList();
        Assert.All(jobLines, e => Assert.True(e.TryGetProperty("JobId", out var job) && job.ValueKind == JsonValueKind.String, $"job line without JobId: {e.GetRawText()}"));
        Assert.Contains(jobLines, e => e.GetProperty("JobId").GetString() == fixture.JobId && e.GetProperty("@m").GetString()!.Contains("completed", StringComparison.Ordinal));
    }

    private static HashSet<int> BatchIds(IEnumerable<JsonElement> events, string source) =>
        events.Where(e => e.GetProperty("SourceContext").GetString() == source).Select(e => e.GetProperty("BatchId").GetInt32()).ToHashSet();

    /// <summary>Every stdout line of the silo, each of which must be one compact-JSON event.</summary>
    private List<JsonElement> LogEvents()
    {
        var events = new List<JsonElement>();
        foreach (var line in fixture.Silo.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            using var document = JsonDocument.Parse(line);
            Assert.True(document.RootElement.TryGetProperty("@t", out _), $"not a compact-JSON event: {line}");
            events.Add(document.RootElement.Clone());
        }

        return events;
    }
}
