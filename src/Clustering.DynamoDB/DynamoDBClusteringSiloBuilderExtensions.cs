using Fruits.Clustering.DynamoDB;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Orleans.Hosting;

public static class DynamoDBClusteringSiloBuilderExtensions
{
    /// <summary>Uses a DynamoDB table as the silo's membership table.</summary>
    public static ISiloBuilder UseDynamoDBClustering(this ISiloBuilder builder, Action<DynamoDBClusteringOptions> configureOptions)
    {
        ArgumentNullException.ThrowIfNull(configureOptions);
        return builder.UseDynamoDBClustering(optionsBuilder => optionsBuilder.Configure(configureOptions));
    }

    /// <summary>Uses a DynamoDB table as the silo's membership table; options through an <see cref="OptionsBuilder{TOptions}"/> (configuration binding, validation).</summary>
    public static ISiloBuilder UseDynamoDBClustering(this ISiloBuilder builder, Action<OptionsBuilder<DynamoDBClusteringOptions>> configureOptions)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configureOptions);
        configureOptions(builder.Services.AddOptions<DynamoDBClusteringOptions>());
        builder.Services.AddSingleton<IMembershipTable, DynamoDBMembershipTable>();
        builder.Services.AddSingleton<IConfigurationValidator, DynamoDBClusteringOptionsValidator>();
        return builder;
    }
}
