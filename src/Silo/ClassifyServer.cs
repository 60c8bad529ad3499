using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fruits.Silo;

/// <summary>
/// Serves <see cref="ClassifyEndpoints"/> on a listener of its own, so the classifier and the dashboard can be on or
/// off independently.
/// </summary>
public sealed partial class ClassifyServer(
    IServiceProvider services,
    ClassifyEndpoints endpoints,
    IOptions<ClassifyHostingOptions> options,
    ILoggerFactory loggerFactory,
    ILogger<ClassifyServer> logger) : IHostedService, IAsyncDisposable
{
    private readonly SiloHttpListener _listener = new(services, loggerFactory);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var endPoint = options.Value.EndPoint();
        // The endpoint enforces its own body limit, so an oversized photo gets a 413 with a reason.
        await _listener.StartAsync(endPoint, app => app.Run(endpoints.HandleAsync), limits => limits.MaxRequestBodySize = null, cancellationToken);
        LogListening($"http://{endPoint}/");
    }

    public Task StopAsync(CancellationToken cancellationToken) => _listener.StopAsync(cancellationToken);

    public ValueTask DisposeAsync() => _listener.DisposeAsync();

    [LoggerMessage(Level = LogLevel.Information, Message = "Classifier on {Url:l}")]
    private partial void LogListening(string url);
}
