using Fruits.Persistence.DynamoDB;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Providers;
using Orleans.Runtime.Hosting;
using Orleans.Storage;

namespace Orleans.Hosting;

public static class DynamoDBGrainStorageServiceCollectionExtensions
{
    /// <summary>Registers a DynamoDB grain storage as the default grain storage.</summary>
    public static IServiceCollection AddDynamoDBGrainStorageAsDefault(this IServiceCollection services, Action<DynamoDBStorageOptions> configureOptions)
    {
        ArgumentNullException.ThrowIfNull(configureOptions);
        return services.AddDynamoDBGrainStorage(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME, ob => ob.Configure(configureOptions));
    }

    /// <summary>Registers a DynamoDB grain storage under <paramref name="name"/> (the storage name of <c>[PersistentState]</c>).</summary>
    public static IServiceCollection AddDynamoDBGrainStorage(this IServiceCollection services, string name, Action<DynamoDBStorageOptions> configureOptions)
    {
        ArgumentNullException.ThrowIfNull(configureOptions);
        return services.AddDynamoDBGrainStorage(name, ob => ob.Configure(configureOptions));
    }

    /// <summary>Registers a DynamoDB grain storage as the default grain storage; options through an <see cref="OptionsBuilder{TOptions}"/>.</summary>
    public static IServiceCollection AddDynamoDBGrainStorageAsDefault(this IServiceCollection services, Action<OptionsBuilder<DynamoDBStorageOptions>>? configureOptions = null) =>
        services.AddDynamoDBGrainStorage(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME, configureOptions);

    /// <summary>
    /// Registers a DynamoDB grain storage under <paramref name="name"/>; options through an
    /// <see cref="OptionsBuilder{TOptions}"/> (configuration binding, validation).
    /// </summary>
    public static IServiceCollection AddDynamoDBGrainStorage(
        this IServiceCollection services,
        string name,
        Action<OptionsBuilder<DynamoDBStorageOptions>>? configureOptions = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(name);
        configureOptions?.Invoke(services.AddOptions<DynamoDBStorageOptions>(name));
        services.TryAddEnumerable(ServiceDescriptor.Transient<IPostConfigureOptions<DynamoDBStorageOptions>, DefaultStorageProviderSerializerOptionsConfigurator<DynamoDBStorageOptions>>());
        services.AddSingleton<IConfigurationValidator>(sp =>
            new DynamoDBStorageOptionsValidator(sp.GetRequiredService<IOptionsMonitor<DynamoDBStorageOptions>>().Get(name), name));
        services.ConfigureNamedOptionForLogging<DynamoDBStorageOptions>(name);

        // Keyed IGrainStorage under the name, the default IGrainStorage when it is "Default", and the silo lifecycle hook.
        return services.AddGrainStorage(name, DynamoDBGrainStorageFactory.Create);
    }
}
