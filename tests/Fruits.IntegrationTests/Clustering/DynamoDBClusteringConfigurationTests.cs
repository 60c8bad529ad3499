using Microsoft.Extensions.Hosting;
using Orleans.Hosting;
using Orleans.Runtime;

namespace Fruits.IntegrationTests.Clustering;

public sealed class DynamoDBClusteringConfigurationTests
{
    [Theory]
    [InlineData("not a region")]
    [InlineData("http//missing-colon")]
    public async Task Bad_service_fails_silo_start_with_the_validators_line(string service)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.UseOrleans(silo => silo.UseDynamoDBClustering(o => o.Service = service));
        using var host = builder.Build();

        var error = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());

        var invalid = Assert.IsType<OrleansConfigurationException>(error);
        Assert.DoesNotContain('\n', invalid.Message);
        Assert.Contains("DynamoDBClusteringOptions.Service", invalid.Message);
    }
}
