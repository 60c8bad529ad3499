using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Providers;

[assembly: RegisterProvider("DynamoDB", "Clustering", "Silo", typeof(DynamoDBClusteringProviderBuilder))]
[assembly: RegisterProvider("DynamoDB", "Clustering", "Client", typeof(DynamoDBClusteringProviderBuilder))]

namespace Orleans.Hosting;

/// <summary>
/// Lets <c>UseOrleans()</c> and <c>UseOrleansClient()</c> configure DynamoDB clustering from the
/// <c>Orleans:Clustering</c> section alone: <c>ProviderType</c> = <c>DynamoDB</c>, and the option names
/// (<c>Service</c> or its alias <c>Region</c>, <c>TableName</c>, <c>CreateIfNotExists</c>, …) as keys.
/// </summary>
internal sealed class DynamoDBClusteringProviderBuilder : IProviderBuilder<ISiloBuilder>, IProviderBuilder<IClientBuilder>
{
    /// <summary>Accepted for <c>Service</c>, as the official provider's configuration accepts it.</summary>
    internal const string RegionKey = "Region";

    public void Configure(ISiloBuilder builder, string? name, IConfigurationSection configurationSection) =>
        builder.UseDynamoDBClustering((OptionsBuilder<DynamoDBClusteringOptions> options) => Bind(options, configurationSection));

    public void Configure(IClientBuilder builder, string? name, IConfigurationSection configurationSection) =>
        builder.UseDynamoDBClustering((OptionsBuilder<DynamoDBGatewayOptions> options) => Bind(options, configurationSection));

    private static void Bind<TOptions>(OptionsBuilder<TOptions> options, IConfigurationSection section)
        where TOptions : DynamoDBTableOptions =>
        options
            .Bind(section)
            .Configure(o =>
            {
                if (string.IsNullOrWhiteSpace(o.Service) && section[RegionKey] is { Length: > 0 } region)
                {
                    o.Service = region;
                }
            });
}
