using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Dashboard;

namespace Fruits.Silo;

/// <summary>
/// Serves the Orleans Dashboard from the silo's own service container: the dashboard's endpoints resolve its
/// internal services from the container that registered them.
/// </summary>
public sealed partial class DashboardServer(
    IServiceProvider services,
    IOptions<DashboardHostingOptions> options,
    ILoggerFactory loggerFactory,
    ILogger<DashboardServer> logger) : IHostedService, IAsyncDisposable
{
    private readonly SiloHttpListener _listener = new(services, loggerFactory);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var endPoint = options.Value.EndPoint();
        await _listener.StartAsync(
            endPoint,
            app =>
            {
                app.UseRouting();
                app.UseEndpoints(endpoints => endpoints.MapOrleansDashboard());
            },
            limits: null,
            cancellationToken);
        LogListening($"http://{endPoint}/");
    }

    public Task StopAsync(CancellationToken cancellationToken) => _listener.StopAsync(cancellationToken);

    public ValueTask DisposeAsync() => _listener.DisposeAsync();

    [LoggerMessage(Level = LogLevel.Information, Message = "Orleans dashboard on {Url:l}")]
    private partial void LogListening(string url);
}
