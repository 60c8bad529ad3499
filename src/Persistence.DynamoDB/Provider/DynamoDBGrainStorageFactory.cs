using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Fruits.Persistence.DynamoDB;

internal static class DynamoDBGrainStorageFactory
{
    public static DynamoDBGrainStorage Create(IServiceProvider services, string name) =>
        ActivatorUtilities.CreateInstance<DynamoDBGrainStorage>(
            services,
            name,
            services.GetRequiredService<IOptionsMonitor<DynamoDBStorageOptions>>().Get(name));
}
