using Fruits.Silo;
using Fruits.Silo.Tls;
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

    /// <summary>Cancelled when the host is asked to stop (SIGTERM): a command that runs until stopped waits on it.</summary>
    public CancellationToken Stopping => _host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;

    /// <summary>A local silo on free ports, so it never collides with a standalone one.</summary>
    /// <param name="dashboardPort">Serve the Orleans Dashboard of this silo on loopback at this port; null = no dashboard.</param>
    /// <param name="settings">Configuration for the embedded silo on top of appsettings.json (e.g. the classifier's endpoint).</param>
    public static async Task<ClusterConnection> StartEmbeddedAsync(bool verbose, int? dashboardPort, CancellationToken cancellationToken, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], ContentRootPath = AppContext.BaseDirectory });
        ConfigureQuietLogging(builder, verbose);
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        if (dashboardPort is { } port)
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                [$"{DashboardHostingOptions.Section}:{nameof(DashboardHostingOptions.Enabled)}"] = "true",
                [$"{DashboardHostingOptions.Section}:{nameof(DashboardHostingOptions.Port)}"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            });
        }

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

    /// <summary>
    /// Connects to the cluster described by the "Fruits:Silo" configuration: a localhost gateway by default,
    /// or the gateways listed in the DynamoDB membership table when Clustering is DynamoDB.
    /// </summary>
    /// <param name="connectTimeout">Overrides <see cref="ClientConnectOptions.ConnectTimeout"/>.</param>
    public static async Task<ClusterConnection> ConnectAsync(string? clustering, int? gatewayPort, bool verbose, CancellationToken cancellationToken, TimeSpan? connectTimeout = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], ContentRootPath = AppContext.BaseDirectory });
        ConfigureQuietLogging(builder, verbose);
        builder.AddFruitsLogging();
        var hosting = SiloHostingOptions.From(builder.Configuration);
        if (clustering is not null)
        {
            hosting.Clustering = clustering;
        }

        string where;
        if (hosting.IsDynamoDB)
        {
            var section = builder.Configuration.GetSection(FruitsSiloHostExtensions.DynamoDBSection);
            where = $"the DynamoDB membership table '{section["TableName"] ?? "OrleansSiloInstances"}' (cluster '{hosting.ClusterId}')";
            builder.UseOrleansClient(client =>
            {
                client.Configure<ClusterOptions>(o =>
                {
                    o.ClusterId = hosting.ClusterId;
                    o.ServiceId = hosting.ServiceId;
                });
                client.UseDynamoDBClustering(options => options.Bind(section));
                ConfigureClient(client);
            });
        }
        else
        {
            var port = gatewayPort ?? hosting.GatewayPort;
            where = $"the gateway on localhost:{port}";
            builder.UseOrleansClient(client =>
            {
                client.UseLocalhostClustering(port, hosting.ServiceId, hosting.ClusterId);
                ConfigureClient(client);
            });
        }

        var timeLimit = connectTimeout ?? ClientConnectOptions.From(builder.Configuration).ConnectTimeout;
        var host = builder.Build();
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(timeLimit);
            await host.StartAsync(timeout.Token);
        }
        catch (Exception e)
        {
            host.Dispose();
            // A gateway that hangs up at once on every try (a TLS mismatch) ends in the time limit, not in an error of its own.
            var why = e is OperationCanceledException && !cancellationToken.IsCancellationRequested
                ? $"no gateway answered within {timeLimit.TotalSeconds.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture)} s"
                : $"{e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}";
            throw new ClusterUnreachableException($"cannot reach the cluster through {where} ({why}){TlsHint(builder.Configuration)}", e);
        }

        return new ClusterConnection(host, embedded: false);
    }

    /// <summary>
    /// A TLS mismatch looks like any refused connection from this side (the other end just hangs up), so the
    /// message says which side of it this client is on.
    /// </summary>
    private static string TlsHint(IConfiguration configuration) =>
        FruitsTlsOptions.From(configuration).Enabled
            ? $"; this client uses TLS ({FruitsTlsOptions.Section}): the silos must use TLS too and trust its certificate"
            : $"; this client does not use TLS: if the silos do, give it their certificate settings ({FruitsTlsOptions.Section}:{nameof(FruitsTlsOptions.CertificatePath)} or {nameof(FruitsTlsOptions.CertificatePem)})";

    private static void ConfigureClient(IClientBuilder client)
    {
        client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromMinutes(2));
        client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(5));
        client.UseFruitsTls();
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
            // Without --verbose the console is the user's: failures reach them as one line from the command itself.
            ["Serilog:MinimumLevel:Default"] = verbose ? "Information" : "Fatal",
            ["Serilog:MinimumLevel:Override:Orleans"] = verbose ? "Warning" : "Fatal",
            ["Serilog:MinimumLevel:Override:Microsoft"] = verbose ? "Warning" : "Fatal",
            ["Serilog:MinimumLevel:Override:Polly"] = verbose ? "Warning" : "Fatal",
        });

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
