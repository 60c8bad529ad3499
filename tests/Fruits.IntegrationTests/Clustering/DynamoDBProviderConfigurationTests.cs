using Amazon.DynamoDBv2.Model;
using Fruits.IntegrationTests.Persistence;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;

namespace Fruits.IntegrationTests.Clustering;

/// <summary>
/// The three providers registered through Orleans' provider builders: a host configured by <c>Orleans:*</c> keys alone,
/// with <c>UseOrleans()</c> / <c>UseOrleansClient()</c> and no provider call in code.
/// </summary>
[Collection(DynamoDbClusteringCollection.Name)]
public sealed class DynamoDBProviderConfigurationTests(DynamoDbMotoFixture fixture)
{
    [Fact]
    public async Task A_silo_configured_only_by_keys_registers_writes_state_and_stores_a_reminder()
    {
        var membershipTable = DynamoDbMotoFixture.UniqueName("keys-membership");
        var stateTable = DynamoDbMotoFixture.UniqueName("keys-state");
        var reminderTable = DynamoDbMotoFixture.UniqueName("keys-reminders");
        var clusterId = DynamoDbMotoFixture.UniqueName("keys-cluster");
        var serviceId = DynamoDbMotoFixture.UniqueName("keys-svc");
        var siloPort = DynamoDbMotoFixture.FreePort();
        var gatewayPort = DynamoDbMotoFixture.FreePort();

        var siloBuilder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        siloBuilder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Orleans:ClusterId"] = clusterId,
            ["Orleans:ServiceId"] = serviceId,
            ["Orleans:Endpoints:AdvertisedIPAddress"] = "127.0.0.1",
            ["Orleans:Endpoints:SiloPort"] = siloPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Orleans:Endpoints:GatewayPort"] = gatewayPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Orleans:Clustering:ProviderType"] = "DynamoDB",
            ["Orleans:Clustering:Service"] = fixture.Endpoint,
            ["Orleans:Clustering:TableName"] = membershipTable,
            ["Orleans:GrainStorage:jobs:ProviderType"] = "DynamoDB",
            ["Orleans:GrainStorage:jobs:Service"] = fixture.Endpoint,
            ["Orleans:GrainStorage:jobs:TableName"] = stateTable,
            ["Orleans:Reminders:ProviderType"] = "DynamoDB",
            // The official provider's alias for Service.
            ["Orleans:Reminders:Region"] = fixture.Endpoint,
            ["Orleans:Reminders:TableName"] = reminderTable,
        });
        siloBuilder.UseOrleans();
        using var siloHost = siloBuilder.Build();
        await siloHost.StartAsync();

        GrainId grainId;
        try
        {
            var clientBuilder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            clientBuilder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Orleans:ClusterId"] = clusterId,
                ["Orleans:ServiceId"] = serviceId,
                ["Orleans:Clustering:ProviderType"] = "DynamoDB",
                ["Orleans:Clustering:Service"] = fixture.Endpoint,
                ["Orleans:Clustering:TableName"] = membershipTable,
            });
            clientBuilder.UseOrleansClient();
            using var clientHost = clientBuilder.Build();
            await clientHost.StartAsync();

            var grain = clientHost.Services.GetRequiredService<IClusterClient>().GetGrain<IDynamoDbStateTestGrain>(Guid.NewGuid().ToString("N"));
            grainId = grain.GetGrainId();
            await grain.Set("from-configuration");
            await grain.RegisterReminder("checkpoint", TimeSpan.FromMinutes(5));
            await clientHost.StopAsync();

            using var membership = fixture.CreateMembershipTable(membershipTable, clusterId);
            var (entry, _) = Assert.Single((await membership.ReadAll()).Members);
            Assert.Equal(SiloStatus.Active, entry.Status);
            Assert.Equal(siloPort, entry.SiloAddress.Endpoint.Port);
            Assert.Equal(gatewayPort, entry.ProxyPort);
        }
        finally
        {
            await siloHost.StopAsync();
        }

        var state = Assert.Single((await fixture.DynamoDb.ScanAsync(new ScanRequest { TableName = stateTable })).Items);
        Assert.Equal($"{serviceId}_{grainId}", state["GrainReference"].S);
        Assert.Equal("s", state["GrainType"].S);
        Assert.Equal("0", state["ETag"].N);

        var reminder = Assert.Single((await fixture.DynamoDb.ScanAsync(new ScanRequest { TableName = reminderTable })).Items);
        Assert.Equal($"{serviceId}_{grainId}_checkpoint", reminder["ReminderId"].S);
        Assert.Equal(serviceId, reminder["ServiceId"].S);
        Assert.Equal(grainId.ToString(), reminder["GrainReference"].S);
    }

    [Fact]
    public void Every_option_is_a_key_of_the_providers_section()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Orleans:Clustering:ProviderType"] = "DynamoDB",
            ["Orleans:Clustering:Region"] = "eu-west-1",
            ["Orleans:Clustering:TableName"] = "fruits-membership",
            ["Orleans:Clustering:CreateIfNotExists"] = "false",
            ["Orleans:Clustering:ReadCapacityUnits"] = "3",
            ["Orleans:Clustering:WriteCapacityUnits"] = "4",
            ["Orleans:Clustering:MaxErrorRetry"] = "2",
            ["Orleans:GrainStorage:jobs:ProviderType"] = "DynamoDB",
            ["Orleans:GrainStorage:jobs:Service"] = "eu-central-1",
            ["Orleans:GrainStorage:jobs:TableName"] = "fruits-jobs",
            ["Orleans:GrainStorage:jobs:DeleteStateOnClear"] = "true",
            ["Orleans:GrainStorage:jobs:CreateIfNotExists"] = "false",
            ["Orleans:GrainStorage:jobs:MaxErrorRetry"] = "5",
            ["Orleans:Reminders:ProviderType"] = "DynamoDB",
            ["Orleans:Reminders:Service"] = "http://localhost:4566",
            ["Orleans:Reminders:Region"] = "ignored-when-service-is-set",
            ["Orleans:Reminders:TableName"] = "fruits-reminders",
            ["Orleans:Reminders:WriteCapacityUnits"] = "6",
        });
        builder.UseOrleans();
        using var host = builder.Build();

        var clustering = host.Services.GetRequiredService<IOptions<DynamoDBClusteringOptions>>().Value;
        Assert.Equal("eu-west-1", clustering.Service);
        Assert.Equal("fruits-membership", clustering.TableName);
        Assert.False(clustering.CreateIfNotExists);
        Assert.Equal((3, 4, 2), (clustering.ReadCapacityUnits, clustering.WriteCapacityUnits, clustering.MaxErrorRetry));

        var storage = host.Services.GetRequiredService<IOptionsMonitor<DynamoDBStorageOptions>>().Get("jobs");
        Assert.Equal("eu-central-1", storage.Service);
        Assert.Equal("fruits-jobs", storage.TableName);
        Assert.True(storage.DeleteStateOnClear);
        Assert.False(storage.CreateIfNotExists);
        Assert.Equal(5, storage.MaxErrorRetry);
        Assert.NotNull(storage.GrainStorageSerializer);

        var reminders = host.Services.GetRequiredService<IOptions<DynamoDBReminderStorageOptions>>().Value;
        Assert.Equal("http://localhost:4566", reminders.Service);
        Assert.Equal("fruits-reminders", reminders.TableName);
        Assert.Equal(6, reminders.WriteCapacityUnits);
        Assert.True(reminders.CreateIfNotExists);

        var clientBuilder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        clientBuilder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Orleans:Clustering:ProviderType"] = "DynamoDB",
            ["Orleans:Clustering:Service"] = "eu-west-1",
            ["Orleans:Clustering:TableName"] = "fruits-membership",
            ["Orleans:Clustering:CreateIfNotExists"] = "false",
        });
        clientBuilder.UseOrleansClient();
        using var client = clientBuilder.Build();
        var gateway = client.Services.GetRequiredService<IOptions<DynamoDBGatewayOptions>>().Value;
        Assert.Equal(("eu-west-1", "fruits-membership"), (gateway.Service, gateway.TableName));
    }
}
