using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Providers;

namespace Orleans.Hosting;

public static class DynamoDBGrainStorageSiloBuilderExtensions
{
    /// <summary>Uses a DynamoDB table as the silo's default grain storage.</summary>
    public static ISiloBuilder AddDynamoDBGrainStorageAsDefault(this ISiloBuilder builder, Action<DynamoDBStorageOptions> configureOptions) =>
        builder.AddDynamoDBGrainStorage(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME, configureOptions);

    /// <summary>Uses a DynamoDB table as the grain storage named <paramref name="name"/> (the storage name of <c>[PersistentState]</c>).</summary>
    public static ISiloBuilder AddDynamoDBGrainStorage(this ISiloBuilder builder, string name, Action<DynamoDBStorageOptions> configureOptions) =>
        builder.ConfigureServices(services => services.AddDynamoDBGrainStorage(name, configureOptions));

    /// <summary>Uses a DynamoDB table as the silo's default grain storage; options through an <see cref="OptionsBuilder{TOptions}"/>.</summary>
    public static ISiloBuilder AddDynamoDBGrainStorageAsDefault(this ISiloBuilder builder, Action<OptionsBuilder<DynamoDBStorageOptions>>? configureOptions = null) =>
        builder.AddDynamoDBGrainStorage(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME, configureOptions);

    /// <summary>
    /// Uses a DynamoDB table as the grain storage named <paramref name="name"/>; options through an
    /// <see cref="OptionsBuilder{TOptions}"/> (configuration binding, validation).
    /// </summary>
    public static ISiloBuilder AddDynamoDBGrainStorage(this ISiloBuilder builder, string name, Action<OptionsBuilder<DynamoDBStorageOptions>>? configureOptions = null) =>
        builder.ConfigureServices(services => services.AddDynamoDBGrainStorage(name, configureOptions));
}
