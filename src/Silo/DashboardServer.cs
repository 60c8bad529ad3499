using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Dashboard;

namespace Fruits.Silo;

/// <summary>
/// Serves the Orleans Dashboard from the silo's own service container. The dashboard's endpoints resolve its
/// internal services from the container that registered them, and the silo host is a plain generic host
/// (no web server unless the dashboard is on), so Kestrel is started here rather than by a WebApplication.
/// </summary>
public sealed class DashboardServer(
    IServiceProvider services,
    IOptions<DashboardHostingOptions> options,
    ILoggerFactory loggerFactory,
    ILogger<DashboardServer> logger) : IHostedService, IAsyncDisposable
{
    private KestrelServer? _server;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var endPoint = options.Value.EndPoint();
        var kestrel = new KestrelServerOptions { ApplicationServices = services, AddServerHeader = false };
        kestrel.Listen(endPoint);
        _server = new KestrelServer(Options.Create(kestrel), new SocketTransportFactory(Options.Create(new SocketTransportOptions()), loggerFactory), loggerFactory);

        var app = new ApplicationBuilder(services);
        app.UseRouting();
        app.UseEndpoints(endpoints => endpoints.MapOrleansDashboard());
        await _server.StartAsync(new DashboardHttpApplication(app.Build(), new DefaultHttpContextFactory(services)), cancellationToken);
        logger.LogInformation("Orleans dashboard on {Url:l}", $"http://{endPoint}/");
    }

    public Task StopAsync(CancellationToken cancellationToken) => _server?.StopAsync(cancellationToken) ?? Task.CompletedTask;

    public ValueTask DisposeAsync()
    {
        _server?.Dispose();
        return ValueTask.CompletedTask;
    }
}
