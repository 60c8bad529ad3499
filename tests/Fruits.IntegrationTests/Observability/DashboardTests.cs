using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Fruits.Silo;
using Fruits.IntegrationTests.Clustering;
using Fruits.IntegrationTests.EndToEnd;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace Fruits.IntegrationTests.Observability;

/// <summary>The Orleans Dashboard of a real silo process, rendered by a real browser; and off unless asked for.</summary>
[Collection(SiloProcessCollection.Name)]
public sealed partial class DashboardTests(SiloProcessFixture fixture)
{
    [Fact]
    public async Task Rendered_dashboard_shows_the_silo_and_the_pipelines_grain_types()
    {
        var root = $"http://127.0.0.1:{fixture.DashboardPort}/";
        using (var http = new HttpClient())
        {
            var index = await http.GetAsync(root);
            Assert.Equal(HttpStatusCode.OK, index.StatusCode);
        }

        // The dashboard is a single-page app: only a browser that runs its scripts shows what it fetched.
        var silos = Text(await Chromium.DumpDomAsync(root + "#/silos", TimeSpan.FromSeconds(8)));
        Assert.Contains($"127.0.0.1:{fixture.SiloPort}@", silos);
        Assert.Matches(@"Active Silos\s+1\b", silos);

        var grainsDom = await Chromium.DumpDomAsync(root + "#/grains", TimeSpan.FromSeconds(8));
        foreach (var grain in new[] { "FeaturizerGrain", "ProjectorGrain", "SiloRouterGrain", "JobGrain", "PcaAggregatorGrain" })
        {
            Assert.True(grainsDom.Contains($"#/grain/Fruits.Grains.{grain}", StringComparison.Ordinal),
                $"the grains page does not list Fruits.Grains.{grain}:\n{Text(grainsDom)}");
        }

        Assert.Matches(@"Total Activations\s+[1-9]\d*", Text(grainsDom));
    }

    [Fact]
    public async Task Embedded_run_serves_the_dashboard_while_its_job_runs()
    {
        var input = ImageSubset.CopyTo(fixture.Combine($"embedded-{Guid.NewGuid():N}"), 2, 3);
        var port = FreePort();
        await using var run = ChildProcess.Start("fruits",
            ["run", "--input", input, "--output", fixture.Combine($"embedded-out-{Guid.NewGuid():N}"), "--dashboard", port.ToString(CultureInfo.InvariantCulture)],
            new Dictionary<string, string>());

        // Counters come from the dashboard's grain, refreshed every second: poll until they show this silo.
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var activeSilos = 0;
        while (activeSilos == 0 && !run.HasExited)
        {
            try
            {
                using var counters = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync($"http://127.0.0.1:{port}/DashboardCounters"));
                activeSilos = counters.RootElement.GetProperty("totalActiveHostCount").GetInt32();
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // not listening yet, or still connecting to the cluster (503)
            }

            await Task.Delay(200);
        }

        Assert.True(activeSilos == 1, $"the dashboard never showed the embedded silo while the job ran:\n{run.Output}");
        Assert.True(await run.WaitAsync(TimeSpan.FromMinutes(3)) == 0, run.Output);
    }

    [Fact]
    public void Dashboard_is_off_unless_configured()
    {
        Assert.False(new DashboardHostingOptions().Enabled);
        Assert.False(RegistersDashboardServer(new Dictionary<string, string?>()));
        Assert.False(RegistersDashboardServer(new Dictionary<string, string?> { ["Fruits:Dashboard:Port"] = "18089" }));
        Assert.True(RegistersDashboardServer(new Dictionary<string, string?> { ["Fruits:Dashboard:Enabled"] = "true" }));
    }

    private static bool RegistersDashboardServer(Dictionary<string, string?> configuration)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(configuration);
        builder.AddFruitsSilo();
        return builder.Services.Any(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(DashboardServer));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The page's visible text: tags dropped, whitespace collapsed.</summary>
    private static string Text(string dom) =>
        WhiteSpace().Replace(WebUtility.HtmlDecode(Tags().Replace(Scripts().Replace(dom, " "), " ")), " ");

    [GeneratedRegex(@"<script\b.*?</script>", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex Scripts();

    [GeneratedRegex("<[^>]+>")]
    private static partial Regex Tags();

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhiteSpace();
}
