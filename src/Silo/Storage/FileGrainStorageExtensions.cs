using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Storage;

namespace Fruits.Silo.Storage;

public static class FileGrainStorageExtensions
{
    /// <summary>Adds a grain storage provider named <paramref name="name"/> keeping state in files under a folder.</summary>
    public static ISiloBuilder AddFileGrainStorage(this ISiloBuilder builder, string name, Action<FileGrainStorageOptions> configure)
    {
        var options = new FileGrainStorageOptions();
        configure(options);
        if (string.IsNullOrWhiteSpace(options.Directory))
        {
            throw new InvalidOperationException($"grain storage '{name}': a folder is required");
        }

        builder.Services.AddKeyedSingleton<IGrainStorage>(name, (services, _) => new FileGrainStorage(name, options, services.GetRequiredService<Serializer>()));
        return builder;
    }
}
