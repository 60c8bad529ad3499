using System.Diagnostics;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Fruits.Persistence.DynamoDB;
using Fruits.IntegrationTests.Clustering;
using Orleans;
using Orleans.Runtime;
using Orleans.Storage;
using Xunit.Abstractions;

namespace Fruits.IntegrationTests.Persistence;

[Collection(DynamoDbClusteringCollection.Name)]
public sealed class DynamoDBGrainStorageTests(DynamoDbMotoFixture fixture, ITestOutputHelper output)
{
    private const string StateName = "s";

    [Fact]
    public async Task Written_state_reads_back_through_another_provider_instance()
    {
        var tableName = DynamoDbMotoFixture.UniqueName("state");
        using var writer = await DynamoDbStorageHarness.CreateInitializedAsync(fixture, tableName);
        var grainId = NewGrainId();
        var state = new TestGrainState<TestJobState> { State = { Value = "featurizing", Writes = 3, Numbers = [1, 2, 3] } };

        await writer.WriteStateAsync(StateName, grainId, state);
        Assert.Equal("0", state.ETag);
        Assert.True(state.RecordExists);

        using var reader = await DynamoDbStorageHarness.CreateInitializedAsync(fixture, tableName);
        var read = new TestGrainState<TestJobState>();
        await reader.ReadStateAsync(StateName, grainId, read);
        Assert.True(read.RecordExists);
        Assert.Equal("0", read.ETag);
        Assert.Equal("featurizing", read.State.Value);
        Assert.Equal(3, read.State.Writes);
        Assert.Equal([1, 2, 3], read.State.Numbers);

        // The ETag read is the one to write with: the next write succeeds and moves it on.
        read.State.Writes = 4;
        await reader.WriteStateAsync(StateName, grainId, read);
        Assert.Equal("1", read.ETag);
    }

    [Fact]
    public async Task Table_and_item_have_the_documented_layout()
    {
        var tableName = DynamoDbMotoFixture.UniqueName("layout");
        using var storage = await DynamoDbStorageHarness.CreateInitializedAsync(fixture, tableName);
        var grainId = NewGrainId();
        await storage.WriteStateAsync(StateName, grainId, new TestGrainState<TestJobState> { State = { Value = "x" } });

        var table = (await fixture.DynamoDb.DescribeTableAsync(tableName)).Table;
        Assert.Equal(TableStatus.ACTIVE, table.TableStatus);
        Assert.Equal(BillingMode.PAY_PER_REQUEST, table.BillingModeSummary?.BillingMode);
        Assert.Equal(
            [("GrainReference", KeyType.HASH), ("GrainType", KeyType.RANGE)],
            table.KeySchema.Select(k => (k.AttributeName, k.KeyType)).ToArray());

        var item = (await fixture.DynamoDb.ScanAsync(new ScanRequest { TableName = tableName })).Items.Single();
        Assert.Equal($"{DynamoDbStorageHarness.ServiceId}_{grainId}", item["GrainReference"].S);
        Assert.Equal(StateName, item["GrainType"].S);
        Assert.Equal("0", item["ETag"].N);
        Assert.True(item["GrainState"].B.Length > 0);
    }

    [Fact]
    public async Task Missing_record_reads_as_default_state()
    {
        using var storage = await DynamoDbStorageHarness.CreateInitializedAsync(fixture, DynamoDbMotoFixture.UniqueName("missing"));
        var state = new TestGrainState<TestJobState> { State = { Value = "stale" }, ETag = "7", RecordExists = true };

        await storage.ReadStateAsync(StateName, NewGrainId(), state);

        Assert.False(state.RecordExists);
        Assert.Null(state.ETag);
        Assert.Null(state.State.Value);
        Assert.Equal(0, state.State.Writes);
    }

    [Fact]
    public async Task Second_writer_from_the_same_read_gets_InconsistentStateException_with_both_etags()
    {
        using var storage = await DynamoDbStorageHarness.CreateInitializedAsync(fixture, DynamoDbMotoFixture.UniqueName("etag"));
        var grainId = NewGrainId();
        await storage.WriteStateAsync(StateName, grainId, new TestGrainState<TestJobState> { State = { Value = "v0" } });

        var first = new TestGrainState<TestJobState>();
        var second = new TestGrainState<TestJobState>();
        await storage.ReadStateAsync(StateName, grainId, first);
        await storage.ReadStateAsync(StateName, grainId, second);

        first.State.Value = "first";
        await storage.WriteStateAsync(StateName, grainId, first);
        second.State.Value = "second";
        var conflict = await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(StateName, grainId, second));

        Assert.Equal("1", conflict.StoredEtag);
        Assert.Equal("0", conflict.CurrentEtag);
        Assert.Contains("'jobs'", conflict.Message);
        var after = new TestGrainState<TestJobState>();
        await storage.ReadStateAsync(StateName, grainId, after);
        Assert.Equal("first", after.State.Value);
        Assert.Equal("1", after.ETag);
    }

    [Fact]
    public async Task Concurrent_first_writes_let_exactly_one_win()
    {
        using var storage = await DynamoDbStorageHarness.CreateInitializedAsync(fixture, DynamoDbMotoFixture.UniqueName("first"));
        var grainId = NewGrainId();
        var writers = Enumerable.Range(0, 2)
            .Select(i => new TestGrainState<TestJobState> { State = { Value = $"writer-{i}" } })
            .ToArray();

        var outcomes = await Task.WhenAll(writers.Select(async w =>
        {
            try
            {
                await storage.WriteStateAsync(StateName, grainId, w);
                return null;
            }
            catch (InconsistentStateException ex)
            {
                return ex;
            }
        }));

        var conflict = Assert.Single(outcomes, o => o is not null)!;
        Assert.Null(conflict.CurrentEtag);
        Assert.Equal("0", conflict.StoredEtag);
        var winner = writers[Array.FindIndex(outcomes, o => o is null)];
        var read = new TestGrainState<TestJobState>();
        await storage.ReadStateAsync(StateName, grainId, read);
        Assert.Equal(winner.State.Value, read.State.Value);
    }

    [Fact]
    public async Task Clear_keeps_an_item_without_state_whose_etag_moves_on()
    {
        var tableName = DynamoDbMotoFixture.UniqueName("clear");
        using var storage = await DynamoDbStorageHarness.CreateInitializedAsync(fixture, tableName);
        var grainId = NewGrainId();
        var state = new TestGrainState<TestJobState> { State = { Value = "v0" } };
        await storage.WriteStateAsync(StateName, grainId, state);
        var stale = new TestGrainState<TestJobState> { ETag = state.ETag, State = { Value = "late" } };

        await storage.ClearStateAsync(StateName, grainId, state);
        Assert.False(state.RecordExists);
        Assert.Equal("1", state.ETag);
        Assert.Null(state.State.Value);

        var read = new TestGrainState<TestJobState>();
        await storage.ReadStateAsync(StateName, grainId, read);
        Assert.False(read.RecordExists);
        Assert.Equal("1", read.ETag);
        Assert.Null(read.State.Value);
        var item = (await fixture.DynamoDb.ScanAsync(new ScanRequest { TableName = tableName })).Items.Single();
        Assert.False(item.ContainsKey("GrainState"));

        // A writer that read before the clear must not resurrect its state.
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(StateName, grainId, stale));
        read.State.Value = "v2";
        await storage.WriteStateAsync(StateName, grainId, read);
        Assert.Equal("2", read.ETag);
    }

    [Fact]
    public async Task Clear_with_DeleteStateOnClear_deletes_the_item_conditionally()
    {
        var tableName = DynamoDbMotoFixture.UniqueName("delete");
        using var storage = await DynamoDbStorageHarness.CreateInitializedAsync(fixture, tableName, o => o.DeleteStateOnClear = true);
        var grainId = NewGrainId();
        var state = new TestGrainState<TestJobState> { State = { Value = "v0" } };
        await storage.WriteStateAsync(StateName, grainId, state);
        var stale = new TestGrainState<TestJobState> { ETag = state.ETag };
        state.State.Value = "v1";
        await storage.WriteStateAsync(StateName, grainId, state);

        var conflict = await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync(StateName, grainId, stale));
        Assert.Equal("1", conflict.StoredEtag);

        await storage.ClearStateAsync(StateName, grainId, state);
        Assert.Null(state.ETag);
        Assert.False(state.RecordExists);
        Assert.Empty((await fixture.DynamoDb.ScanAsync(new ScanRequest { TableName = tableName })).Items ?? []);

        var read = new TestGrainState<TestJobState>();
        await storage.ReadStateAsync(StateName, grainId, read);
        Assert.False(read.RecordExists);
        Assert.Null(read.ETag);

        // After a delete the grain writes as a first writer again.
        await storage.WriteStateAsync(StateName, grainId, read);
        Assert.Equal("0", read.ETag);
    }

    [Fact]
    public async Task State_over_the_item_limit_fails_clearly_and_writes_nothing()
    {
        var tableName = DynamoDbMotoFixture.UniqueName("large");
        using var storage = await DynamoDbStorageHarness.CreateInitializedAsync(fixture, tableName);
        var grainId = NewGrainId();
        var state = new TestGrainState<TestJobState> { State = { Value = new string('x', DynamoDBGrainStorage.MaxItemBytes) } };

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => storage.WriteStateAsync(StateName, grainId, state));

        Assert.Contains("400 KB", error.Message);
        Assert.Contains(grainId.ToString(), error.Message);
        Assert.Null(state.ETag);
        Assert.Empty((await fixture.DynamoDb.ScanAsync(new ScanRequest { TableName = tableName })).Items ?? []);
    }

    [Fact]
    public async Task Providers_racing_to_create_a_missing_table_all_succeed_and_one_creates_it()
    {
        var tableName = DynamoDbMotoFixture.UniqueName("race");
        var loggers = Enumerable.Range(0, 3).Select(_ => new RecordingLogger<DynamoDBGrainStorage>()).ToArray();
        var providers = loggers.Select(l => DynamoDbStorageHarness.Create(fixture.Endpoint, tableName, logger: l)).ToArray();
        try
        {
            await Task.WhenAll(providers.Select(p => Task.Run(() => p.InitializeAsync(CancellationToken.None))));
            foreach (var line in loggers.SelectMany(l => l.Lines))
            {
                output.WriteLine(line);
            }

            Assert.Equal(1, loggers.Sum(l => l.Lines.Count(line => line.Contains("created DynamoDB table", StringComparison.Ordinal))));
            var grainId = NewGrainId();
            await providers[0].WriteStateAsync(StateName, grainId, new TestGrainState<TestJobState> { State = { Value = "raced" } });
            var read = new TestGrainState<TestJobState>();
            await providers[2].ReadStateAsync(StateName, grainId, read);
            Assert.Equal("raced", read.State.Value);
        }
        finally
        {
            foreach (var provider in providers)
            {
                provider.Dispose();
            }
        }
    }

    [Fact]
    public async Task Missing_table_fails_when_creation_is_disabled()
    {
        var tableName = DynamoDbMotoFixture.UniqueName("absent");
        using var storage = DynamoDbStorageHarness.Create(fixture.Endpoint, tableName, o => o.CreateIfNotExists = false);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => storage.InitializeAsync(CancellationToken.None));

        Assert.Contains(tableName, error.Message);
        Assert.Contains("CreateIfNotExists", error.Message);
    }

    [Fact]
    public async Task Unreachable_service_fails_initialization_with_one_line_within_bounded_time()
    {
        // Nothing listens there once the probe listener is closed: connections are refused at once.
        var endpoint = $"http://127.0.0.1:{DynamoDbMotoFixture.FreePort()}";
        using var storage = DynamoDbStorageHarness.Create(endpoint, DynamoDbMotoFixture.UniqueName("unreachable"));
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => storage.InitializeAsync(CancellationToken.None));

        output.WriteLine($"{clock.Elapsed}: {error.Message}");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(40), $"took {clock.Elapsed}");
        Assert.DoesNotContain('\n', error.Message);
        Assert.Contains("DynamoDB grain storage 'jobs'", error.Message);
        Assert.Contains(endpoint, error.Message);
    }

    [Fact]
    public async Task Use_before_initialization_is_refused()
    {
        using var storage = DynamoDbStorageHarness.Create(fixture.Endpoint, DynamoDbMotoFixture.UniqueName("early"));

        await Assert.ThrowsAsync<InvalidOperationException>(
            () => storage.WriteStateAsync(StateName, NewGrainId(), new TestGrainState<TestJobState>()));
    }

    private static GrainId NewGrainId() => GrainId.Create("jobgrain", Guid.NewGuid().ToString("N"));
}
