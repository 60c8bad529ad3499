using Fruits.Silo;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using System.Net;
using System.Net.Sockets;

namespace Fruits.Client;

/// <summary>Either an embedded single-silo cluster inside this process, or a client of a running cluster.</summary>
public sealed class ClusterConnection : IAsyncDisposable
{
    private readonly IHost _host;

    private ClusterConnection(IHost host, bool embedded)
    {
        _host = host;
        Embedded = embedded;
        Grains = host.Services.GetRequiredService<IClusterClient>();
    }

    public bool Embedded { get; }

    public IClusterClient Grains { get; }

    /// <summary>A local silo on free ports, so it never collides with a standalone one.</summary>
    public static async Task<ClusterConnection> StartEmbeddedAsync(bool verbose, CancellationToken cancellationToken)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], ContentRootPath = AppContext.BaseDirectory });
        ConfigureQuietLogging(builder, verbose);
        builder.AddFruitsLogging();
        builder.AddFruitsSilo(o =>
        {
            o.Clustering = "Localhost";
            o.SiloPort = o.PrimarySiloPort = FreePort();
            o.GatewayPort = FreePort();
            o.ClusterId = $"fruits-embedded-{Environment.ProcessId}";
        });
        var host = builder.Build();
        await host.StartAsync(cancellationToken);
        return new ClusterConnection(host, embedded: true);
    }

    /// <summary>Connects to the cluster described by the "Fruits:Silo" configuration (localhost gateway by default).</summary>
    public static async Task<ClusterConnection> ConnectAsync(int? gatewayPort, bool verbose, CancellationToken cancellationToken)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], ContentRootPath = AppContext.BaseDirectory });
        ConfigureQuietLogging(builder, verbose);
        builder.AddFruitsLogging();
        var hosting = builder.Configuration.GetSection(SiloHostingOptions.Section).Get<SiloHostingOptions>() ?? new SiloHostingOptions();
        builder.UseOrleansClient(client =>
        {
            client.UseLocalhostClustering(gatewayPort ?? hosting.GatewayPort, hosting.ServiceId, hosting.ClusterId);
            client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromMinutes(2));
            client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(5));
        });
        var host = builder.Build();
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(20));
            await host.StartAsync(timeout.Token);
        }
        catch (Exception e)
        {
            host.Dispose();
            throw new ClusterUnreachableException($"cannot reach the cluster gateway on localhost:{gatewayPort ?? hosting.GatewayPort} ({e.GetType().Name})", e);
        }

        return new ClusterConnection(host, embedded: false);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _host.StopAsync(TimeSpan.FromSeconds(10));
        }
        finally
        {
            _host.Dispose();
        }
    }

    private static void ConfigureQuietLogging(HostApplicationBuilder builder, bool verbose) =>
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Serilog:MinimumLevel:Default"] = verbose ? "Information" : "Error",
            ["Serilog:MinimumLevel:Override:Orleans"] = verbose ? "Warning" : "Error",
            ["Serilog:MinimumLevel:Override:Microsoft"] = "Error",
        });

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
