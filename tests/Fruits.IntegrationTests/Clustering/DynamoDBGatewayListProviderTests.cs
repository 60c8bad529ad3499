using Orleans.Runtime;

namespace Fruits.IntegrationTests.Clustering;

[Collection(DynamoDbClusteringCollection.Name)]
public sealed class DynamoDBGatewayListProviderTests(DynamoDbMotoFixture fixture)
{
    [Fact]
    public async Task Gateways_are_the_active_silos_with_a_proxy_port()
    {
        var clusterId = DynamoDbMotoFixture.UniqueName("gateways");
        using var table = fixture.CreateMembershipTable("gateway-tests", clusterId);
        await table.InitializeMembershipTable(true);
        using var gateways = fixture.CreateGatewayListProvider("gateway-tests", clusterId, TimeSpan.FromSeconds(7));
        await gateways.InitializeGatewayListProvider();

        var active = MembershipEntries.Create(18001, SiloStatus.Active, proxyPort: 40001);
        var activeNoGateway = MembershipEntries.Create(18002, SiloStatus.Active, proxyPort: 0);
        var joining = MembershipEntries.Create(18003, SiloStatus.Joining, proxyPort: 40003);
        var dead = MembershipEntries.Create(18004, SiloStatus.Dead, proxyPort: 40004);
        var secondActive = MembershipEntries.Create(18005, SiloStatus.Active, proxyPort: 40005);
        foreach (var entry in new[] { active, activeNoGateway, joining, dead, secondActive })
        {
            Assert.True(await table.InsertRow(entry, (await table.ReadAll()).Version.Next()));
        }

        Assert.True(gateways.IsUpdatable);
        Assert.Equal(TimeSpan.FromSeconds(7), gateways.MaxStaleness);
        var expected = new[] { GatewayUri(active), GatewayUri(secondActive) };
        Assert.Equal(expected.OrderBy(u => u.ToString()), (await gateways.GetGateways()).OrderBy(u => u.ToString()));

        // The silo dies: its gateway disappears from the next refresh.
        var snapshot = await table.ReadAll();
        var etag = snapshot.Members.Single(m => m.Item1.SiloAddress.Equals(active.SiloAddress)).Item2;
        active.Status = SiloStatus.Dead;
        Assert.True(await table.UpdateRow(active, etag, snapshot.Version.Next()));
        Assert.Equal([GatewayUri(secondActive)], await gateways.GetGateways());
    }

    [Fact]
    public async Task Missing_table_means_no_gateways_yet()
    {
        using var gateways = fixture.CreateGatewayListProvider(DynamoDbMotoFixture.UniqueName("nothing"), "c", TimeSpan.FromMinutes(1));
        Assert.Empty(await gateways.GetGateways());
    }

    private static Uri GatewayUri(Orleans.MembershipEntry entry) =>
        SiloAddress.New(entry.SiloAddress.Endpoint.Address, entry.ProxyPort, entry.SiloAddress.Generation).ToGatewayUri();
}
