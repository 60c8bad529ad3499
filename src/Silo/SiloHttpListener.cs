using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fruits.Silo;

/// <summary>
/// One Kestrel listener serving a request pipeline built on the silo's own service container. The silo host is a
/// plain generic host (no web server unless the dashboard or the classifier is on), and the pipelines resolve
/// their services from the container that registered them, so each server starts Kestrel itself through this.
/// </summary>
public sealed class SiloHttpListener(IServiceProvider services, ILoggerFactory loggerFactory) : IAsyncDisposable
{
    private KestrelServer? _server;

    /// <param name="limits">Changes to Kestrel's default limits, if any.</param>
    public async Task StartAsync(IPEndPoint endPoint, Action<IApplicationBuilder> configure, Action<KestrelServerLimits>? limits, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        ArgumentNullException.ThrowIfNull(configure);
        var kestrel = new KestrelServerOptions { ApplicationServices = services, AddServerHeader = false };
        limits?.Invoke(kestrel.Limits);
        kestrel.Listen(endPoint);
        _server = new KestrelServer(Options.Create(kestrel), new SocketTransportFactory(Options.Create(new SocketTransportOptions()), loggerFactory), loggerFactory);

        var app = new ApplicationBuilder(services);
        configure(app);
        await _server.StartAsync(new SiloHttpApplication(app.Build(), new DefaultHttpContextFactory(services)), cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => _server?.StopAsync(cancellationToken) ?? Task.CompletedTask;

    public ValueTask DisposeAsync()
    {
        _server?.Dispose();
        return ValueTask.CompletedTask;
    }
}
