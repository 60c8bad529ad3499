using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fruits.Silo;

/// <summary>
/// Serves <see cref="ClassifyEndpoints"/> on its own Kestrel listener, started like the dashboard's (the silo host is
/// a plain generic host), so the classifier and the dashboard can be on or off independently.
/// </summary>
public sealed partial class ClassifyServer(
    IServiceProvider services,
    ClassifyEndpoints endpoints,
    IOptions<ClassifyHostingOptions> options,
    ILoggerFactory loggerFactory,
    ILogger<ClassifyServer> logger) : IHostedService, IAsyncDisposable
{
    private KestrelServer? _server;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var endPoint = options.Value.EndPoint();
        // The endpoint enforces its own body limit, so an oversized photo gets a 413 with a reason.
        var kestrel = new KestrelServerOptions { ApplicationServices = services, AddServerHeader = false };
        kestrel.Limits.MaxRequestBodySize = null;
        kestrel.Listen(endPoint);
        _server = new KestrelServer(Options.Create(kestrel), new SocketTransportFactory(Options.Create(new SocketTransportOptions()), loggerFactory), loggerFactory);

        var app = new ApplicationBuilder(services);
        app.Run(endpoints.HandleAsync);
        await _server.StartAsync(new DashboardHttpApplication(app.Build(), new DefaultHttpContextFactory(services)), cancellationToken);
        LogListening($"http://{endPoint}/");
    }

    public Task StopAsync(CancellationToken cancellationToken) => _server?.StopAsync(cancellationToken) ?? Task.CompletedTask;

    public ValueTask DisposeAsync()
    {
        _server?.Dispose();
        return ValueTask.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Classifier on {Url:l}")]
    private partial void LogListening(string url);
}
