using Microsoft.Extensions.Logging;

namespace Fruits.Grains;

/// <summary>
/// Log scopes that Serilog (Enrich.FromLogContext) turns into properties of every line logged inside them, so
/// CloudWatch / JSON log queries can filter one job or one batch across silos without parsing messages.
/// </summary>
public static class LogScopes
{
    public const string JobId = "JobId";
    public const string BatchId = "BatchId";

    public static IDisposable? BeginJobScope(this ILogger logger, string jobId) =>
        logger.BeginScope(new Dictionary<string, object> { [JobId] = jobId });

    public static IDisposable? BeginBatchScope(this ILogger logger, string jobId, int batchIndex) =>
        logger.BeginScope(new Dictionary<string, object> { [JobId] = jobId, [BatchId] = batchIndex });
}
