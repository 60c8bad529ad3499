using System.Net;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Fruits.Clustering.DynamoDB;
using Orleans;
using Orleans.Runtime;

namespace Fruits.IntegrationTests.Clustering;

[Collection(DynamoDbClusteringCollection.Name)]
public sealed class DynamoDBMembershipTableTests(DynamoDbMotoFixture fixture)
{
    [Fact]
    public async Task Initialize_creates_table_and_version_row_once()
    {
        var tableName = DynamoDbMotoFixture.UniqueName("init");
        using var table = fixture.CreateMembershipTable(tableName, "cluster-a");

        await table.InitializeMembershipTable(tryInitTableVersion: true);

        var description = await fixture.DynamoDb.DescribeTableAsync(tableName);
        Assert.Equal(TableStatus.ACTIVE, description.Table.TableStatus);
        Assert.Equal(BillingMode.PAY_PER_REQUEST, description.Table.BillingModeSummary?.BillingMode);
        var data = await table.ReadAll();
        Assert.Empty(data.Members);
        Assert.Equal(0, data.Version.Version);
        Assert.False(string.IsNullOrEmpty(data.Version.VersionEtag));

        // A second silo initializing must not reset the version another silo may already have advanced.
        using var second = fixture.CreateMembershipTable(tableName, "cluster-a");
        await second.InitializeMembershipTable(tryInitTableVersion: true);
        Assert.Equal(data.Version, (await second.ReadAll()).Version);
    }

    [Fact]
    public async Task Missing_table_fails_when_creation_is_disabled()
    {
        using var table = new DynamoDBMembershipTable(
            Microsoft.Extensions.Options.Options.Create(new Orleans.Configuration.DynamoDBClusteringOptions
            {
                Service = fixture.Endpoint,
                TableName = DynamoDbMotoFixture.UniqueName("absent"),
                CreateIfNotExists = false,
            }),
            Microsoft.Extensions.Options.Options.Create(new Orleans.Configuration.ClusterOptions { ClusterId = "c" }),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<DynamoDBMembershipTable>.Instance);

        await Assert.ThrowsAsync<InvalidOperationException>(() => table.InitializeMembershipTable(true));
    }

    [Fact]
    public async Task InsertRow_needs_the_current_version_and_a_new_silo()
    {
        using var table = await NewTableAsync();
        var version = (await table.ReadAll()).Version;
        var first = MembershipEntries.Create(11111);

        Assert.True(await table.InsertRow(first, version.Next()));

        // Stale: the etag read before the first insert.
        Assert.False(await table.InsertRow(MembershipEntries.Create(11112), version.Next()));

        var current = (await table.ReadAll()).Version;
        Assert.Equal(1, current.Version);
        Assert.NotEqual(version.VersionEtag, current.VersionEtag);

        // Same silo twice with a fresh version: the row already exists.
        Assert.False(await table.InsertRow(first, current.Next()));

        // The version number must advance by exactly one, whatever the etag says.
        Assert.False(await table.InsertRow(MembershipEntries.Create(11113), new TableVersion(current.Version + 2, current.VersionEtag)));

        var after = await table.ReadAll();
        Assert.Single(after.Members);
        Assert.Equal(current, after.Version);
    }

    [Fact]
    public async Task ReadRow_and_ReadAll_round_trip_every_field()
    {
        using var table = await NewTableAsync();
        var entry = MembershipEntries.Create(12001, SiloStatus.Active, proxyPort: 30001);
        entry.SuspectTimes =
        [
            Tuple.Create(SiloAddress.New(IPAddress.Loopback, 12002, 5), DateTime.UtcNow.AddSeconds(-20)),
            Tuple.Create(SiloAddress.New(IPAddress.IPv6Loopback, 12003, 6), DateTime.UtcNow.AddSeconds(-10)),
        ];
        Assert.True(await table.InsertRow(entry, (await table.ReadAll()).Version.Next()));

        var row = await table.ReadRow(entry.SiloAddress);
        Assert.Equal(1, row.Version.Version);
        var (read, etag) = Assert.Single(row.Members);
        AssertSameEntry(entry, read);
        Assert.False(string.IsNullOrEmpty(etag));

        var all = await table.ReadAll();
        Assert.Equal(row.Version, all.Version);
        var (readAll, etagAll) = Assert.Single(all.Members);
        AssertSameEntry(entry, readAll);
        Assert.Equal(etag, etagAll);

        var missing = await table.ReadRow(SiloAddress.New(IPAddress.Loopback, 1, 1));
        Assert.Empty(missing.Members);
        Assert.Equal(all.Version, missing.Version);
    }

    [Fact]
    public async Task UpdateRow_needs_the_current_row_etag_and_version()
    {
        using var table = await NewTableAsync();
        var entry = MembershipEntries.Create(13001);
        Assert.True(await table.InsertRow(entry, (await table.ReadAll()).Version.Next()));
        var (_, etag) = Assert.Single((await table.ReadAll()).Members);
        var version = (await table.ReadAll()).Version;

        entry.Status = SiloStatus.Active;
        entry.ProxyPort = 30002;
        Assert.True(await table.UpdateRow(entry, etag, version.Next()));

        var after = await table.ReadAll();
        var (updated, newEtag) = Assert.Single(after.Members);
        Assert.Equal(SiloStatus.Active, updated.Status);
        Assert.Equal(30002, updated.ProxyPort);
        Assert.NotEqual(etag, newEtag);
        Assert.Equal(2, after.Version.Version);

        entry.Status = SiloStatus.Dead;
        Assert.False(await table.UpdateRow(entry, etag, after.Version.Next()));       // stale row etag
        Assert.False(await table.UpdateRow(entry, newEtag, version.Next()));          // stale table version
        Assert.False(await table.UpdateRow(MembershipEntries.Create(13999), newEtag, after.Version.Next())); // no such row
        Assert.Equal(SiloStatus.Active, (await table.ReadRow(entry.SiloAddress)).Members[0].Item1.Status);
        Assert.Equal(after.Version, (await table.ReadAll()).Version);
    }

    [Fact]
    public async Task Concurrent_conflicting_updates_let_exactly_one_win()
    {
        using var table = await NewTableAsync();
        var entry = MembershipEntries.Create(14001);
        Assert.True(await table.InsertRow(entry, (await table.ReadAll()).Version.Next()));
        var snapshot = await table.ReadAll();
        var (_, etag) = snapshot.Members[0];

        var writers = Enumerable.Range(0, 8).Select(i =>
        {
            var candidate = MembershipEntries.Create(14001, SiloStatus.Active, proxyPort: 31000 + i);
            return Task.Run(() => table.UpdateRow(candidate, etag, snapshot.Version.Next()));
        });
        var results = await Task.WhenAll(writers);

        Assert.Single(results, won => won);
        var after = await table.ReadAll();
        Assert.Equal(snapshot.Version.Version + 1, after.Version.Version);
        Assert.Equal(SiloStatus.Active, after.Members[0].Item1.Status);
    }

    [Fact]
    public async Task Concurrent_inserts_of_different_silos_at_one_version_let_exactly_one_win()
    {
        using var table = await NewTableAsync();
        var version = (await table.ReadAll()).Version;

        var results = await Task.WhenAll(Enumerable.Range(0, 8)
            .Select(i => Task.Run(() => table.InsertRow(MembershipEntries.Create(14100 + i), version.Next()))));

        Assert.Single(results, won => won);
        Assert.Single((await table.ReadAll()).Members);
    }

    [Fact]
    public async Task UpdateIAmAlive_changes_only_the_heartbeat()
    {
        using var table = await NewTableAsync();
        var entry = MembershipEntries.Create(15001, SiloStatus.Active, proxyPort: 30003, iAmAlive: DateTime.UtcNow.AddMinutes(-1));
        Assert.True(await table.InsertRow(entry, (await table.ReadAll()).Version.Next()));
        var before = await table.ReadAll();
        var (stored, etag) = before.Members[0];

        var heartbeat = MembershipEntries.Create(15001, SiloStatus.Dead, proxyPort: 9, iAmAlive: DateTime.UtcNow);
        heartbeat.HostName = "ignored";
        await table.UpdateIAmAlive(heartbeat);

        var after = await table.ReadAll();
        var (updated, etagAfter) = after.Members[0];
        Assert.Equal(heartbeat.IAmAliveTime, updated.IAmAliveTime);
        updated.IAmAliveTime = stored.IAmAliveTime;
        AssertSameEntry(stored, updated);
        Assert.Equal(etag, etagAfter);
        Assert.Equal(before.Version, after.Version);

        // Inputs read before the heartbeat stay valid for UpdateRow, as the IMembershipTable contract requires.
        entry.Status = SiloStatus.ShuttingDown;
        Assert.True(await table.UpdateRow(entry, etag, before.Version.Next()));

        await Assert.ThrowsAsync<ConditionalCheckFailedException>(() => table.UpdateIAmAlive(MembershipEntries.Create(15999)));
    }

    [Fact]
    public async Task CleanupDefunctSiloEntries_removes_only_old_dead_rows()
    {
        using var table = await NewTableAsync();
        var cutoff = DateTime.UtcNow.AddHours(-1);
        var deadOld = MembershipEntries.Create(16001, SiloStatus.Dead, iAmAlive: cutoff.AddHours(-2));
        deadOld.StartTime = cutoff.AddHours(-3);
        var deadRecent = MembershipEntries.Create(16002, SiloStatus.Dead, iAmAlive: DateTime.UtcNow);
        var deadOldButRecentlyVoted = MembershipEntries.Create(16003, SiloStatus.Dead, iAmAlive: cutoff.AddHours(-2));
        deadOldButRecentlyVoted.StartTime = cutoff.AddHours(-3);
        deadOldButRecentlyVoted.SuspectTimes = [Tuple.Create(deadRecent.SiloAddress, DateTime.UtcNow)];
        var activeOld = MembershipEntries.Create(16004, SiloStatus.Active, proxyPort: 30004, iAmAlive: cutoff.AddHours(-2));
        activeOld.StartTime = cutoff.AddHours(-3);
        foreach (var entry in new[] { deadOld, deadRecent, deadOldButRecentlyVoted, activeOld })
        {
            Assert.True(await table.InsertRow(entry, (await table.ReadAll()).Version.Next()));
        }

        await table.CleanupDefunctSiloEntries(new DateTimeOffset(cutoff));

        var remaining = (await table.ReadAll()).Members.Select(m => m.Item1.SiloAddress).ToHashSet();
        Assert.Equal([deadRecent.SiloAddress, deadOldButRecentlyVoted.SiloAddress, activeOld.SiloAddress], remaining.OrderBy(s => s.Endpoint.Port));
    }

    [Fact]
    public async Task DeleteMembershipTableEntries_removes_only_that_cluster()
    {
        var tableName = DynamoDbMotoFixture.UniqueName("delete");
        using var a = fixture.CreateMembershipTable(tableName, "cluster-a");
        using var b = fixture.CreateMembershipTable(tableName, "cluster-b");
        await a.InitializeMembershipTable(true);
        await b.InitializeMembershipTable(true);
        for (var i = 0; i < 30; i++)
        {
            Assert.True(await a.InsertRow(MembershipEntries.Create(17000 + i), (await a.ReadAll()).Version.Next()));
        }

        Assert.True(await b.InsertRow(MembershipEntries.Create(17100), (await b.ReadAll()).Version.Next()));

        await a.DeleteMembershipTableEntries("cluster-a");

        var left = await a.ReadAll();
        Assert.Empty(left.Members);
        Assert.Equal(string.Empty, left.Version.VersionEtag);
        Assert.Single((await b.ReadAll()).Members);
        Assert.Equal(1, (await b.ReadAll()).Version.Version);
    }

    private async Task<DynamoDBMembershipTable> NewTableAsync()
    {
        // A shared table with a fresh cluster id per test is also how real deployments share one table.
        var table = fixture.CreateMembershipTable("contract-tests", DynamoDbMotoFixture.UniqueName("cluster"));
        await table.InitializeMembershipTable(tryInitTableVersion: true);
        return table;
    }

    private static void AssertSameEntry(MembershipEntry expected, MembershipEntry actual)
    {
        Assert.Equal(expected.SiloAddress, actual.SiloAddress);
        Assert.Equal(expected.SiloAddress.Generation, actual.SiloAddress.Generation);
        Assert.Equal(expected.Status, actual.Status);
        Assert.Equal(expected.HostName, actual.HostName);
        Assert.Equal(expected.SiloName, actual.SiloName);
        Assert.Equal(expected.RoleName, actual.RoleName);
        Assert.Equal(expected.ProxyPort, actual.ProxyPort);
        Assert.Equal(expected.StartTime, actual.StartTime);
        Assert.Equal(expected.IAmAliveTime, actual.IAmAliveTime);
        Assert.Equal(expected.UpdateZone, actual.UpdateZone);
        Assert.Equal(expected.FaultZone, actual.FaultZone);
        Assert.Equal(
            (expected.SuspectTimes ?? []).Select(s => (s.Item1, s.Item2)),
            (actual.SuspectTimes ?? []).Select(s => (s.Item1, s.Item2)));
    }
}
