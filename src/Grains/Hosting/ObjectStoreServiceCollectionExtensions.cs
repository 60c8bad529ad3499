using Fruits.Pipeline.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Fruits.Grains.Hosting;

public static class ObjectStoreServiceCollectionExtensions
{
    /// <summary>
    /// Local folders and S3 (settings bound from "Fruits:S3"), the one way silos and the client's result tools
    /// open stores, so both reach the same endpoint with the same retries.
    /// </summary>
    public static IServiceCollection AddFruitsObjectStores(this IServiceCollection services)
    {
        services.AddOptions<S3StorageOptions>().BindConfiguration(S3StorageOptions.Section);
        services.AddSingleton<IObjectStoreFactory, ObjectStoreFactory>();
        return services;
    }
}
