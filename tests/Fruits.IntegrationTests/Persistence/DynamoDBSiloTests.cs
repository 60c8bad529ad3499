using System.Diagnostics;
using Fruits.Reminders.DynamoDB;
using Fruits.IntegrationTests.Clustering;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.Storage;

namespace Fruits.IntegrationTests.Persistence;

/// <summary>Both providers inside real silos, wired the way the host binds them from configuration.</summary>
[Collection(DynamoDbClusteringCollection.Name)]
public sealed class DynamoDBSiloTests(DynamoDbMotoFixture fixture)
{
    [Fact]
    public async Task State_survives_a_silo_restart_and_a_reminder_lands_in_the_table()
    {
        var stateTable = DynamoDbMotoFixture.UniqueName("silo-state");
        var reminderTable = DynamoDbMotoFixture.UniqueName("silo-reminders");
        var serviceId = DynamoDbMotoFixture.UniqueName("svc");
        var grainKey = Guid.NewGuid().ToString("N");
        GrainId grainId;

        using (var first = await StartSiloAsync(stateTable, reminderTable, serviceId))
        {
            var grain = first.Services.GetRequiredService<IGrainFactory>().GetGrain<IDynamoDbStateTestGrain>(grainKey);
            grainId = grain.GetGrainId();
            Assert.False(await grain.RecordExists());
            await grain.Set("featurized");
            await grain.RegisterReminder("checkpoint", TimeSpan.FromMinutes(5));
            await first.StopAsync();
        }

        using (var second = await StartSiloAsync(stateTable, reminderTable, serviceId))
        {
            var grain = second.Services.GetRequiredService<IGrainFactory>().GetGrain<IDynamoDbStateTestGrain>(grainKey);
            Assert.True(await grain.RecordExists());
            var state = await grain.Get();
            Assert.Equal("featurized", state.Value);
            Assert.Equal(1, state.Writes);
            await second.StopAsync();
        }

        using var reminders = new DynamoDBReminderTable(
            Options.Create(new DynamoDBReminderStorageOptions { Service = fixture.Endpoint, TableName = reminderTable }),
            Options.Create(new ClusterOptions { ServiceId = serviceId }),
            NullLogger<DynamoDBReminderTable>.Instance);
        await reminders.StartAsync();
        var entry = await reminders.ReadRow(grainId, "checkpoint");
        Assert.NotNull(entry);
        Assert.Equal(grainId, entry.GrainId);
        Assert.Equal(TimeSpan.FromMinutes(5), entry.Period);
        Assert.False(string.IsNullOrEmpty(entry.ETag));
        Assert.Equal("checkpoint", Assert.Single((await reminders.ReadRows(grainId)).Reminders).ReminderName);
    }

    [Fact]
    public async Task Silo_start_fails_with_one_line_when_DynamoDB_is_unreachable()
    {
        var closed = $"http://127.0.0.1:{DynamoDbMotoFixture.FreePort()}";
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.UseOrleans(silo => silo
            .UseLocalhostClustering(DynamoDbMotoFixture.FreePort(), DynamoDbMotoFixture.FreePort(), serviceId: "unreachable", clusterId: "unreachable")
            .AddDynamoDBGrainStorage("jobs", o => o.Service = closed));
        using var host = builder.Build();
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"took {clock.Elapsed}");
        var ours = Assert.IsType<InvalidOperationException>(Flatten(error).First(e => e.Message.Contains("DynamoDB grain storage 'jobs'", StringComparison.Ordinal)));
        Assert.DoesNotContain('\n', ours.Message);
        Assert.Contains(closed, ours.Message);
    }

    [Theory]
    [InlineData("", "http://127.0.0.1:1", "TableName")]
    [InlineData("OrleansGrainState", "not a region", "Service")]
    [InlineData("OrleansGrainState", "http//missing-colon", "Service")]
    public async Task Bad_storage_configuration_fails_silo_start_with_one_line(string tableName, string service, string setting)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.UseOrleans(silo => silo
            .UseLocalhostClustering(DynamoDbMotoFixture.FreePort(), DynamoDbMotoFixture.FreePort())
            .AddDynamoDBGrainStorage("jobs", o =>
            {
                o.Service = service;
                o.TableName = tableName;
            }));
        using var host = builder.Build();

        var error = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());

        var invalid = Assert.IsType<OrleansConfigurationException>(Flatten(error).First(e => e is OrleansConfigurationException));
        Assert.DoesNotContain('\n', invalid.Message);
        Assert.Contains("DynamoDB grain storage 'jobs'", invalid.Message);
        Assert.Contains($"DynamoDBStorageOptions.{setting}", invalid.Message);
    }

    [Fact]
    public async Task Bad_reminder_configuration_fails_silo_start_with_one_line()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.UseOrleans(silo => silo
            .UseLocalhostClustering(DynamoDbMotoFixture.FreePort(), DynamoDbMotoFixture.FreePort())
            .UseDynamoDBReminderService(o => o.TableName = " "));
        using var host = builder.Build();

        var error = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());

        var invalid = Assert.IsType<OrleansConfigurationException>(Flatten(error).First(e => e is OrleansConfigurationException));
        Assert.DoesNotContain('\n', invalid.Message);
        Assert.Contains("DynamoDB reminder table", invalid.Message);
        Assert.Contains("DynamoDBReminderStorageOptions.TableName", invalid.Message);
    }

    [Fact]
    public void Shared_section_binding_keeps_the_clustering_table_out_of_both_providers()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Fruits:DynamoDB:Service"] = "eu-west-1",
                ["Fruits:DynamoDB:MaxErrorRetry"] = "3",
                ["Fruits:DynamoDB:TableName"] = "fruits-membership",
                ["Fruits:DynamoDB:CreateIfNotExists"] = "false",
                ["Fruits:DynamoDB:Storage:TableName"] = "fruits-jobs",
                ["Fruits:DynamoDB:Storage:DeleteStateOnClear"] = "true",
                ["Fruits:DynamoDB:Reminders:MaxErrorRetry"] = "5",
            })
            .Build();
        var section = configuration.GetSection("Fruits:DynamoDB");
        var services = new ServiceCollection();
        services.AddSingleton<IGrainStorageSerializer>(new SystemTextJsonGrainStorageSerializer());
        services.AddDynamoDBGrainStorage("jobs", o => o.BindDynamoDBSection(section));
        services.UseDynamoDBReminderService(o => o.BindDynamoDBSection(section));
        using var provider = services.BuildServiceProvider();

        var storage = provider.GetRequiredService<IOptionsMonitor<DynamoDBStorageOptions>>().Get("jobs");
        Assert.Equal("eu-west-1", storage.Service);
        Assert.Equal(3, storage.MaxErrorRetry);
        Assert.Equal("fruits-jobs", storage.TableName);
        Assert.True(storage.CreateIfNotExists);
        Assert.True(storage.DeleteStateOnClear);

        var reminders = provider.GetRequiredService<IOptions<DynamoDBReminderStorageOptions>>().Value;
        Assert.Equal("eu-west-1", reminders.Service);
        Assert.Equal(5, reminders.MaxErrorRetry);
        Assert.Equal(DynamoDBReminderStorageOptions.DefaultTableName, reminders.TableName);
        Assert.True(reminders.CreateIfNotExists);
    }

    private async Task<IHost> StartSiloAsync(string stateTable, string reminderTable, string serviceId)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Fruits:DynamoDB:Service"] = fixture.Endpoint,
            ["Fruits:DynamoDB:TableName"] = "membership-table-not-used-here",
            ["Fruits:DynamoDB:Storage:TableName"] = stateTable,
            ["Fruits:DynamoDB:Reminders:TableName"] = reminderTable,
        });
        var section = builder.Configuration.GetSection("Fruits:DynamoDB");
        builder.UseOrleans(silo => silo
            .UseLocalhostClustering(DynamoDbMotoFixture.FreePort(), DynamoDbMotoFixture.FreePort(), serviceId: serviceId, clusterId: DynamoDbMotoFixture.UniqueName("cluster"))
            .AddDynamoDBGrainStorage("jobs", o => o.BindDynamoDBSection(section))
            .UseDynamoDBReminderService(o => o.BindDynamoDBSection(section)));
        var host = builder.Build();
        try
        {
            await host.StartAsync();
        }
        catch
        {
            host.Dispose();
            throw;
        }

        return host;
    }

    private static IEnumerable<Exception> Flatten(Exception error)
    {
        for (Exception? current = error; current is not null; current = current.InnerException)
        {
            yield return current;
            if (current is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions.SelectMany(Flatten))
                {
                    yield return inner;
                }
            }
        }
    }
}
