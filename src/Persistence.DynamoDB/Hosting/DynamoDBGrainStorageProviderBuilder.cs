using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Providers;
using Orleans.Storage;

[assembly: RegisterProvider("DynamoDB", "GrainStorage", "Silo", typeof(DynamoDBGrainStorageProviderBuilder))]

namespace Orleans.Hosting;

/// <summary>
/// Lets <c>UseOrleans()</c> add a DynamoDB grain storage from configuration alone:
/// <c>Orleans:GrainStorage:{name}:ProviderType</c> = <c>DynamoDB</c>, and the option names (<c>Service</c> or its alias
/// <c>Region</c>, <c>TableName</c>, <c>DeleteStateOnClear</c>, …) as keys of the same section.
/// </summary>
internal sealed class DynamoDBGrainStorageProviderBuilder : IProviderBuilder<ISiloBuilder>
{
    /// <summary>Accepted for <c>Service</c>, as the official provider's configuration accepts it.</summary>
    internal const string RegionKey = "Region";

    /// <summary>Names a keyed <see cref="IGrainStorageSerializer"/> registered in the container, as in the official provider.</summary>
    internal const string SerializerKey = "SerializerKey";

    public void Configure(ISiloBuilder builder, string? name, IConfigurationSection configurationSection)
    {
        // Orleans passes the child key of Orleans:GrainStorage as the name; it is never empty there.
        ArgumentException.ThrowIfNullOrEmpty(name);
        builder.AddDynamoDBGrainStorage(name, (OptionsBuilder<DynamoDBStorageOptions> options) => options
            .Bind(configurationSection)
            .Configure<IServiceProvider>((o, services) =>
            {
                if (string.IsNullOrWhiteSpace(o.Service) && configurationSection[RegionKey] is { Length: > 0 } region)
                {
                    o.Service = region;
                }

                if (configurationSection[SerializerKey] is { Length: > 0 } serializerKey)
                {
                    o.GrainStorageSerializer = services.GetRequiredKeyedService<IGrainStorageSerializer>(serializerKey);
                }
            }));
    }
}
