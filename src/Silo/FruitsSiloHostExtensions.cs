using Fruits.Grains;
using Fruits.Grains.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Serilog;
using Serilog.Formatting.Compact;
using System.Net;

namespace Fruits.Silo;

public static class FruitsSiloHostExtensions
{
    /// <summary>Configures an Orleans silo running the Fruits pipeline from the "Fruits" configuration sections.</summary>
    public static IHostApplicationBuilder AddFruitsSilo(this IHostApplicationBuilder builder, Action<SiloHostingOptions>? overrides = null)
    {
        var hosting = builder.Configuration.GetSection(SiloHostingOptions.Section).Get<SiloHostingOptions>() ?? new SiloHostingOptions();
        overrides?.Invoke(hosting);

        builder.UseOrleans(silo =>
        {
            silo.UseFruitsClustering(hosting);
            silo.UseFruitsPipeline();
            silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromMinutes(2));
        });
        builder.Services.AddHostedService<ModelWarmup>();
        return builder;
    }

    public static ISiloBuilder UseFruitsClustering(this ISiloBuilder silo, SiloHostingOptions hosting)
    {
        switch (hosting.Clustering.ToLowerInvariant())
        {
            case "localhost":
                silo.UseLocalhostClustering(hosting.SiloPort, hosting.GatewayPort,
                    hosting.PrimarySiloPort == hosting.SiloPort ? null : new IPEndPoint(IPAddress.Loopback, hosting.PrimarySiloPort),
                    hosting.ServiceId, hosting.ClusterId);
                break;
            default:
                throw new InvalidOperationException($"unknown clustering '{hosting.Clustering}' (use Localhost)");
        }

        return silo;
    }

    /// <summary>Serilog from "Serilog" configuration; "Fruits:LogFormat" = "json" gives compact JSON for CloudWatch.</summary>
    public static IHostApplicationBuilder AddFruitsLogging(this IHostApplicationBuilder builder)
    {
        var json = string.Equals(builder.Configuration["Fruits:LogFormat"], "json", StringComparison.OrdinalIgnoreCase);
        builder.Services.AddSerilog((_, logger) =>
        {
            logger.ReadFrom.Configuration(builder.Configuration).Enrich.FromLogContext();
            if (json)
            {
                logger.WriteTo.Console(new RenderedCompactJsonFormatter());
            }
            else
            {
                logger.WriteTo.Console(outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}",
                    standardErrorFromLevel: Serilog.Events.LogEventLevel.Verbose);
            }
        });
        return builder;
    }
}
