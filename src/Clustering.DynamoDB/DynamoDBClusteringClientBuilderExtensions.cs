using Fruits.Clustering.DynamoDB;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Messaging;

namespace Orleans.Hosting;

public static class DynamoDBClusteringClientBuilderExtensions
{
    /// <summary>Discovers gateways from the DynamoDB membership table the silos use.</summary>
    public static IClientBuilder UseDynamoDBClustering(this IClientBuilder builder, Action<DynamoDBGatewayOptions> configureOptions)
    {
        ArgumentNullException.ThrowIfNull(configureOptions);
        return builder.UseDynamoDBClustering(optionsBuilder => optionsBuilder.Configure(configureOptions));
    }

    /// <summary>Discovers gateways from the DynamoDB membership table; options through an <see cref="OptionsBuilder{TOptions}"/>.</summary>
    public static IClientBuilder UseDynamoDBClustering(this IClientBuilder builder, Action<OptionsBuilder<DynamoDBGatewayOptions>> configureOptions)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configureOptions);
        configureOptions(builder.Services.AddOptions<DynamoDBGatewayOptions>());
        builder.Services.AddSingleton<IGatewayListProvider, DynamoDBGatewayListProvider>();
        builder.Services.AddSingleton<IConfigurationValidator, DynamoDBGatewayOptionsValidator>();
        return builder;
    }
}
