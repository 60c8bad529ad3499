using Fruits.Grains;
using Fruits.Grains.Hosting;
using Fruits.Silo.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Orleans.Dashboard;
using Serilog;
using Serilog.Formatting.Compact;
using System.Net;

namespace Fruits.Silo;

public static class FruitsSiloHostExtensions
{
    /// <summary>Configures an Orleans silo running the Fruits pipeline from the "Fruits" configuration sections.</summary>
    public static IHostApplicationBuilder AddFruitsSilo(this IHostApplicationBuilder builder, Action<SiloHostingOptions>? overrides = null)
    {
        var hosting = SiloHostingOptions.From(builder.Configuration);
        overrides?.Invoke(hosting);
        var dashboard = DashboardHostingOptions.From(builder.Configuration);
        var classify = ClassifyHostingOptions.From(builder.Configuration);

        builder.UseOrleans(silo =>
        {
            silo.UseFruitsClustering(hosting, builder.Configuration);
            silo.UseFruitsPipeline();
            silo.UseFruitsClassifier();
            silo.UseFruitsJobStore(hosting, builder.Configuration);
            silo.UseFruitsTls();
            silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromMinutes(2));
            if (dashboard.Enabled)
            {
                silo.UseFruitsDashboard();
            }

            if (classify.Enabled)
            {
                silo.UseFruitsClassifyHttp();
            }
        });
        builder.Services.AddHostedService<ModelFileCheck>();

        // Stopping drains the silo's batches first (JobsOptions.DrainTimeout); the host must wait for that.
        var jobs = builder.Configuration.GetSection(JobsOptions.Section).Get<JobsOptions>() ?? new JobsOptions();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = jobs.DrainTimeout + TimeSpan.FromSeconds(20));
        return builder;
    }

    /// <summary>
    /// Where job records and the job registry live, and which reminders resume unfinished jobs: DynamoDB tables
    /// for a DynamoDB cluster (Fruits:DynamoDB:Storage:TableName, default OrleansGrainState;
    /// Fruits:DynamoDB:Reminders:TableName, default OrleansReminders); for the embedded and localhost silos, files under "Fruits:Jobs:LocalStorePath"
    /// (default: the user's data folder, fruits/jobs) and in-memory reminders.
    /// </summary>
    public static ISiloBuilder UseFruitsJobStore(this ISiloBuilder silo, SiloHostingOptions hosting, IConfiguration configuration)
    {
        var jobs = configuration.GetSection(JobsOptions.Section).Get<JobsOptions>() ?? new JobsOptions();
        silo.Configure<ReminderOptions>(o =>
        {
            // Reminders refuse periods below this minimum; a test cluster resumes jobs faster than the default minute.
            o.MinimumReminderPeriod = jobs.ResumeCheckPeriod < o.MinimumReminderPeriod ? jobs.ResumeCheckPeriod : o.MinimumReminderPeriod;
        });
        if (hosting.IsDynamoDB)
        {
            // Storage and reminders read their own subsections (Fruits:DynamoDB:Storage, :Reminders) plus the shared
            // Service, so the membership table's settings never leak into them.
            var dynamo = configuration.GetSection(DynamoDBSection);
            silo.AddDynamoDBGrainStorage(JobsOptions.StorageName, o => o.BindDynamoDBSection(dynamo));
            silo.UseDynamoDBReminderService(o => o.BindDynamoDBSection(dynamo));
            return silo;
        }

        silo.AddFileGrainStorage(JobsOptions.StorageName, o => o.Directory = jobs.EffectiveLocalStorePath);
        silo.UseInMemoryReminderService();
        silo.Services.Configure<JobsOptions>(o => o.DurableReminders = false);
        return silo;
    }

    public static ISiloBuilder UseFruitsClustering(this ISiloBuilder silo, SiloHostingOptions hosting, IConfiguration configuration)
    {
        if (hosting.IsDynamoDB)
        {
            if (!IPAddress.TryParse(hosting.AdvertisedIP, out var advertised))
            {
                throw new InvalidOperationException($"Fruits:Silo:AdvertisedIP '{hosting.AdvertisedIP}' is not an IP address");
            }

            // Listen on every interface: the container health check connects on loopback.
            silo.ConfigureEndpoints(advertised, hosting.SiloPort, hosting.GatewayPort, listenOnAnyHostAddress: true);
            silo.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = hosting.ClusterId;
                o.ServiceId = hosting.ServiceId;
            });
            silo.UseDynamoDBClustering(options => options.Bind(configuration.GetSection(DynamoDBSection)));

            // How fast the cluster declares lost silos dead ("Fruits:Silo:Membership", Orleans' own option names):
            // jobs whose grains lived there wait for it.
            silo.Configure<ClusterMembershipOptions>(configuration.GetSection(MembershipSection));
        }
        else if (string.Equals(hosting.Clustering, SiloHostingOptions.Localhost, StringComparison.OrdinalIgnoreCase))
        {
            silo.UseLocalhostClustering(hosting.SiloPort, hosting.GatewayPort,
                hosting.PrimarySiloPort == hosting.SiloPort ? null : new IPEndPoint(IPAddress.Loopback, hosting.PrimarySiloPort),
                hosting.ServiceId, hosting.ClusterId);
        }
        else
        {
            throw new InvalidOperationException($"unknown clustering '{hosting.Clustering}' (use Localhost or DynamoDB)");
        }

        return silo;
    }

    /// <summary>
    /// The Orleans Dashboard on this silo, served over HTTP as "Fruits:Dashboard" says (port, listen address).
    /// Call it only when the dashboard is wanted: its grain profiler filters every grain call.
    /// </summary>
    public static ISiloBuilder UseFruitsDashboard(this ISiloBuilder silo)
    {
        silo.Services.AddOptions<DashboardHostingOptions>().BindConfiguration(DashboardHostingOptions.Section);
        silo.AddDashboard();
        silo.Services.AddRouting();
        // Routing's middleware wants the listener a web host would register; this host is not one.
        silo.Services.TryAddSingleton(new System.Diagnostics.DiagnosticListener("Microsoft.AspNetCore"));
        silo.Services.AddHostedService<DashboardServer>();
        return silo;
    }

    /// <summary>
    /// The classifier's HTTP endpoint and page on this silo, as "Fruits:Classify" says (port, listen address, default
    /// output). Call it only when wanted: it has no authentication.
    /// </summary>
    public static ISiloBuilder UseFruitsClassifyHttp(this ISiloBuilder silo)
    {
        silo.Services.AddOptions<ClassifyHostingOptions>().BindConfiguration(ClassifyHostingOptions.Section);
        silo.Services.AddSingleton<ClassifyEndpoints>();
        silo.Services.AddHostedService<ClassifyServer>();
        return silo;
    }

    /// <summary>The configuration section bound to the DynamoDB clustering and gateway options.</summary>
    public const string DynamoDBSection = "Fruits:DynamoDB";

    /// <summary>The configuration section bound to Orleans' <see cref="ClusterMembershipOptions"/> on a DynamoDB cluster.</summary>
    public const string MembershipSection = "Fruits:Silo:Membership";

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
