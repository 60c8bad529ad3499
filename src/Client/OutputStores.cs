using Fruits.Grains.Hosting;
using Fruits.Pipeline.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Fruits.Client;

/// <summary>
/// Opens a finished job's output, or its images, with the storage settings a job uses: the same registration as
/// the silo's (<see cref="ObjectStoreServiceCollectionExtensions.AddFruitsObjectStores"/>), bound in the same
/// configuration sources as the silo (appsettings.json beside the executable, then Fruits__S3__… environment
/// variables), so `inspect` and `export-csv` reach the S3 endpoint the job wrote to.
/// </summary>
public sealed class OutputStores : IDisposable
{
    private readonly IHost _host;

    private OutputStores(IHost host)
    {
        _host = host;
        Factory = host.Services.GetRequiredService<IObjectStoreFactory>();
    }

    public IObjectStoreFactory Factory { get; }

    public static OutputStores FromConfiguration()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Services.AddFruitsObjectStores();
        return new OutputStores(builder.Build());
    }

    public IObjectStore Open(StorageLocation location) => Factory.Open(location);

    /// <summary>Disposes the factory, and with it the S3 client it may have created.</summary>
    public void Dispose() => _host.Dispose();
}
