using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Fruits.Silo.Tls;

/// <summary>
/// Says once, at start, that this node's Orleans connections use TLS and with which certificate: a TLS mismatch
/// between nodes only shows as connections that fail, so the log has to say what each side was configured with.
/// </summary>
internal sealed partial class TlsStatusLog(string subject, string thumbprint, DateTime notAfter, string trust, ILogger<TlsStatusLog> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        LogTls(logger, subject, thumbprint, notAfter, trust);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Orleans connections use TLS: certificate {Subject} (SHA-1 {Thumbprint}, valid until {NotAfter:yyyy-MM-dd}); peers trusted: {Trust}")]
    private static partial void LogTls(ILogger logger, string subject, string thumbprint, DateTime notAfter, string trust);
}
