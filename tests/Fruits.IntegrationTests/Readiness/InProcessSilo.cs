using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Fruits.Grains.Interfaces;
using Fruits.Silo;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Runtime;

namespace Fruits.IntegrationTests.Readiness;

/// <summary>
/// A production silo (<see cref="FruitsSiloHostExtensions.AddFruitsSilo"/>) in this process on free loopback ports,
/// configured only through the settings given, as a deployment configures one through its environment.
/// </summary>
public sealed class InProcessSilo : IAsyncDisposable
{
    private InProcessSilo(IHost host, int gatewayPort)
    {
        Host = host;
        GatewayPort = gatewayPort;
    }

    public IHost Host { get; }

    public int GatewayPort { get; }

    public int SiloPort => Host.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress.Endpoint.Port;

    /// <summary>This silo's key for <see cref="Grains.ISiloRouterGrain"/>: the grain is placed on the silo it names.</summary>
    public string WorkerKey => Host.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress.ToParsableString();

    public IGrainFactory Grains => Host.Services.GetRequiredService<IGrainFactory>();

    /// <param name="primarySiloPort">The first silo's port when this one joins it; null = this one is the first.</param>
    public static async Task<InProcessSilo> StartAsync(string clusterId, IDictionary<string, string?> settings, int? primarySiloPort = null)
    {
        var siloPort = FreePort();
        var gatewayPort = FreePort();
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Fruits:Silo:Clustering"] = "Localhost",
            ["Fruits:Silo:ClusterId"] = clusterId,
            ["Fruits:Silo:ServiceId"] = clusterId,
            ["Fruits:Silo:SiloPort"] = siloPort.ToString(CultureInfo.InvariantCulture),
            ["Fruits:Silo:GatewayPort"] = gatewayPort.ToString(CultureInfo.InvariantCulture),
            ["Fruits:Silo:PrimarySiloPort"] = (primarySiloPort ?? siloPort).ToString(CultureInfo.InvariantCulture),
        });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddFruitsSilo();
        var host = builder.Build();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await host.StartAsync(timeout.Token);
        }
        catch
        {
            host.Dispose();
            throw;
        }

        return new InProcessSilo(host, gatewayPort);
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await Host.StopAsync(timeout.Token);
        }
        finally
        {
            Host.Dispose();
        }
    }
}
