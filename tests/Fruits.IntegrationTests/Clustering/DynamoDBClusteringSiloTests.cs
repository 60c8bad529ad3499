using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;

namespace Fruits.IntegrationTests.Clustering;

[Collection(DynamoDbClusteringCollection.Name)]
public sealed class DynamoDBClusteringSiloTests(DynamoDbMotoFixture fixture)
{
    [Fact]
    public async Task Silo_registers_in_dynamodb_and_a_client_finds_it_through_the_table()
    {
        var tableName = DynamoDbMotoFixture.UniqueName("silo");
        var clusterId = DynamoDbMotoFixture.UniqueName("cluster");
        var siloPort = DynamoDbMotoFixture.FreePort();
        var gatewayPort = DynamoDbMotoFixture.FreePort();

        var siloBuilder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        siloBuilder.UseOrleans(silo => silo
            .UseDynamoDBClustering(o =>
            {
                o.Service = fixture.Endpoint;
                o.TableName = tableName;
            })
            .Configure<ClusterOptions>(o =>
            {
                o.ClusterId = clusterId;
                o.ServiceId = "fruits-dynamodb-test";
            })
            .ConfigureEndpoints(IPAddress.Loopback, siloPort, gatewayPort));
        using var siloHost = siloBuilder.Build();
        await siloHost.StartAsync();

        try
        {
            using var table = fixture.CreateMembershipTable(tableName, clusterId);
            var (entry, _) = Assert.Single((await table.ReadAll()).Members);
            Assert.Equal(SiloStatus.Active, entry.Status);
            Assert.Equal(siloPort, entry.SiloAddress.Endpoint.Port);
            Assert.Equal(gatewayPort, entry.ProxyPort);

            var clientBuilder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            clientBuilder.UseOrleansClient(client => client
                .UseDynamoDBClustering(o =>
                {
                    o.Service = fixture.Endpoint;
                    o.TableName = tableName;
                })
                .Configure<ClusterOptions>(o =>
                {
                    o.ClusterId = clusterId;
                    o.ServiceId = "fruits-dynamodb-test";
                }));
            using var clientHost = clientBuilder.Build();
            await clientHost.StartAsync();

            var grains = clientHost.Services.GetRequiredService<IClusterClient>();
            var hosts = await grains.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true);
            Assert.Equal(SiloStatus.Active, Assert.Single(hosts).Value);
            Assert.Equal(entry.SiloAddress, hosts.Keys.Single());
            await clientHost.StopAsync();
        }
        finally
        {
            await siloHost.StopAsync();
        }

        // A graceful stop leaves the silo Dead in the table, so gateway lists drop it.
        using var after = fixture.CreateMembershipTable(tableName, clusterId);
        Assert.Equal(SiloStatus.Dead, Assert.Single((await after.ReadAll()).Members).Item1.Status);
        using var gateways = fixture.CreateGatewayListProvider(tableName, clusterId, TimeSpan.FromMinutes(1));
        Assert.Empty(await gateways.GetGateways());
    }
}
