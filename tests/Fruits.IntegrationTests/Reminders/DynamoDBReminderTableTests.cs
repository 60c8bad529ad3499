using System.Diagnostics;
using Amazon.DynamoDBv2;
using Fruits.Reminders.DynamoDB;
using Fruits.IntegrationTests.Clustering;
using Orleans;
using Orleans.Runtime;

namespace Fruits.IntegrationTests.Reminders;

[Collection(DynamoDbClusteringCollection.Name)]
public sealed class DynamoDBReminderTableTests(DynamoDbMotoFixture fixture)
{
    [Fact]
    public async Task Upsert_read_and_remove_follow_etag_semantics()
    {
        using var table = await NewTableAsync();
        var entry = Entry(NewGrainId(), "checkpoint", TimeSpan.FromMinutes(2));

        var firstEtag = await table.UpsertRow(entry);
        Assert.False(string.IsNullOrEmpty(firstEtag));
        Assert.Equal(firstEtag, entry.ETag);

        var read = await table.ReadRow(entry.GrainId, "checkpoint");
        Assert.NotNull(read);
        Assert.Equal(entry.GrainId, read.GrainId);
        Assert.Equal("checkpoint", read.ReminderName);
        Assert.Equal(entry.StartAt, read.StartAt);
        Assert.Equal(DateTimeKind.Utc, read.StartAt.Kind);
        Assert.Equal(TimeSpan.FromMinutes(2), read.Period);
        Assert.Equal(firstEtag, read.ETag);
        Assert.Null(await table.ReadRow(entry.GrainId, "other"));

        // Registering again replaces the row with a new etag; the old one no longer removes it.
        entry.Period = TimeSpan.FromMinutes(3);
        var secondEtag = await table.UpsertRow(entry);
        Assert.NotEqual(firstEtag, secondEtag);
        Assert.False(await table.RemoveRow(entry.GrainId, "checkpoint", firstEtag!));
        Assert.Equal(TimeSpan.FromMinutes(3), (await table.ReadRow(entry.GrainId, "checkpoint"))!.Period);
        Assert.False(await table.RemoveRow(entry.GrainId, "checkpoint", "not-an-etag"));

        Assert.True(await table.RemoveRow(entry.GrainId, "checkpoint", secondEtag!));
        Assert.Null(await table.ReadRow(entry.GrainId, "checkpoint"));
        Assert.False(await table.RemoveRow(entry.GrainId, "checkpoint", secondEtag!));
    }

    [Fact]
    public async Task ReadRows_by_grain_returns_that_grains_reminders_only()
    {
        using var table = await NewTableAsync();
        var grain = NewGrainId();
        var other = NewGrainId();
        await table.UpsertRow(Entry(grain, "a"));
        await table.UpsertRow(Entry(grain, "b"));
        await table.UpsertRow(Entry(other, "a"));

        var rows = await table.ReadRows(grain);

        Assert.Equal(["a", "b"], rows.Reminders.Select(r => r.ReminderName).Order().ToArray());
        Assert.All(rows.Reminders, r => Assert.Equal(grain, r.GrainId));
    }

    [Fact]
    public async Task ReadRows_by_range_covers_the_ring_including_wrapped_ranges()
    {
        using var table = await NewTableAsync();
        var grains = Enumerable.Range(0, 24).Select(_ => NewGrainId()).ToArray();
        foreach (var grain in grains)
        {
            await table.UpsertRow(Entry(grain, "r"));
        }

        var hashes = grains.Select(g => g.GetUniformHashCode()).Order().ToArray();
        var lowQuarter = hashes[5];
        var highQuarter = hashes[18];

        // (begin, end]: begin excluded, end included.
        await AssertRange(table, grains, lowQuarter, highQuarter, h => h > lowQuarter && h <= highQuarter);
        // Wrapped: above begin, or at most end.
        await AssertRange(table, grains, highQuarter, lowQuarter, h => h > highQuarter || h <= lowQuarter);
        await AssertRange(table, grains, hashes[^1], hashes[0], h => h > hashes[^1] || h <= hashes[0]);
        // begin == end is the whole ring.
        await AssertRange(table, grains, lowQuarter, lowQuarter, _ => true);
        await AssertRange(table, grains, 0, uint.MaxValue, h => h > 0);
        await AssertRange(table, grains, uint.MaxValue, uint.MaxValue, _ => true);
    }

    [Fact]
    public async Task Services_sharing_the_table_see_and_clear_only_their_own_reminders()
    {
        var tableName = DynamoDbMotoFixture.UniqueName("reminders-shared");
        using var mine = DynamoDbReminderHarness.Create(fixture.Endpoint, tableName, "service-a");
        using var theirs = DynamoDbReminderHarness.Create(fixture.Endpoint, tableName, "service-b");
        await mine.StartAsync();
        await theirs.StartAsync();
        var grain = NewGrainId();
        var myEtag = await mine.UpsertRow(Entry(grain, "same-name", TimeSpan.FromMinutes(1)));
        await theirs.UpsertRow(Entry(grain, "same-name", TimeSpan.FromMinutes(7)));
        await theirs.UpsertRow(Entry(NewGrainId(), "other"));

        Assert.Equal(TimeSpan.FromMinutes(1), (await mine.ReadRow(grain, "same-name"))!.Period);
        Assert.Equal(TimeSpan.FromMinutes(7), (await theirs.ReadRow(grain, "same-name"))!.Period);
        Assert.Single((await mine.ReadRows(grain)).Reminders);
        Assert.Single((await mine.ReadRows(0, 0)).Reminders);
        Assert.Equal(2, (await theirs.ReadRows(0, 0)).Reminders.Count);
        Assert.False(await theirs.RemoveRow(grain, "same-name", myEtag!));

        await mine.TestOnlyClearTable();

        Assert.Empty((await mine.ReadRows(0, 0)).Reminders);
        Assert.Null(await mine.ReadRow(grain, "same-name"));
        Assert.Equal(2, (await theirs.ReadRows(0, 0)).Reminders.Count);
    }

    [Fact]
    public async Task Table_is_created_with_both_indexes_and_concurrent_starts_all_succeed()
    {
        var tableName = DynamoDbMotoFixture.UniqueName("reminders-race");
        var tables = Enumerable.Range(0, 3).Select(_ => DynamoDbReminderHarness.Create(fixture.Endpoint, tableName, "race")).ToArray();
        try
        {
            await Task.WhenAll(tables.Select(t => Task.Run(() => t.StartAsync())));

            var description = (await fixture.DynamoDb.DescribeTableAsync(tableName)).Table;
            Assert.Equal(TableStatus.ACTIVE, description.TableStatus);
            Assert.Equal(BillingMode.PAY_PER_REQUEST, description.BillingModeSummary?.BillingMode);
            Assert.Equal(
                ["ServiceIdGrainReferenceIndex", "ServiceIdIndex"],
                description.GlobalSecondaryIndexes.Select(i => i.IndexName).Order().ToArray());
            var etag = await tables[0].UpsertRow(Entry(NewGrainId(), "raced"));
            Assert.Equal(etag, Assert.Single((await tables[2].ReadRows(0, 0)).Reminders).ETag);
        }
        finally
        {
            foreach (var table in tables)
            {
                table.Dispose();
            }
        }
    }

    [Fact]
    public async Task Unreachable_service_fails_start_with_one_line_within_bounded_time()
    {
        var endpoint = $"http://127.0.0.1:{DynamoDbMotoFixture.FreePort()}";
        using var table = DynamoDbReminderHarness.Create(endpoint, DynamoDbMotoFixture.UniqueName("reminders-unreachable"), "svc");
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => table.StartAsync());

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(40), $"took {clock.Elapsed}");
        Assert.DoesNotContain('\n', error.Message);
        Assert.Contains("DynamoDB reminder table", error.Message);
        Assert.Contains(endpoint, error.Message);
    }

    private async Task<DynamoDBReminderTable> NewTableAsync()
    {
        var table = DynamoDbReminderHarness.Create(fixture.Endpoint, DynamoDbMotoFixture.UniqueName("reminders"), DynamoDbMotoFixture.UniqueName("svc"));
        await table.StartAsync();
        return table;
    }

    private static async Task AssertRange(DynamoDBReminderTable table, GrainId[] grains, uint begin, uint end, Func<uint, bool> inRange)
    {
        var expected = grains.Where(g => inRange(g.GetUniformHashCode())).Select(g => g.ToString()).Order().ToArray();
        var actual = (await table.ReadRows(begin, end)).Reminders.Select(r => r.GrainId.ToString()).Order().ToArray();
        Assert.Equal(expected, actual);
    }

    private static ReminderEntry Entry(GrainId grainId, string name, TimeSpan? period = null) => new()
    {
        GrainId = grainId,
        ReminderName = name,
        // Whole milliseconds: what a round trip must preserve exactly, whatever the clock's resolution.
        StartAt = new DateTime(DateTime.UtcNow.Ticks / TimeSpan.TicksPerMillisecond * TimeSpan.TicksPerMillisecond, DateTimeKind.Utc),
        Period = period ?? TimeSpan.FromMinutes(1),
    };

    private static GrainId NewGrainId() => GrainId.Create("jobgrain", Guid.NewGuid().ToString("N"));
}
