using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Fruits.IntegrationTests.Clustering;
using Fruits.IntegrationTests.EndToEnd;

namespace Fruits.IntegrationTests.Observability;

/// <summary>
/// One real `fruits-silo` process (localhost clustering, free ports) with the dashboard on and compact-JSON
/// logs at Debug, and one finished job that a separate `fruits run` process ran through its gateway with its
/// stdout redirected, as in CI or on ECS.
/// </summary>
public sealed class SiloProcessFixture : IAsyncLifetime
{
    public const int Labels = 4;
    public const int PerLabel = 12;
    public const int BatchSize = 4;
    public const int Batches = Labels * PerLabel / BatchSize;

    private readonly TempDirectory _temp = new("fruits-observed");

    public ChildProcess Silo { get; private set; } = null!;

    public int SiloPort { get; } = FreePort();

    public int GatewayPort { get; } = FreePort();

    public int DashboardPort { get; } = FreePort();

    public string JobId { get; } = $"observed-{Guid.NewGuid():N}"[..20];

    public string Input { get; private set; } = "";

    public string Output { get; private set; } = "";

    /// <summary>The `fruits run` client's exit code, stdout and stderr.</summary>
    public (int ExitCode, string Stdout, string Stderr) Run { get; private set; }

    public string Gateway => GatewayPort.ToString(CultureInfo.InvariantCulture);

    public string Combine(string name) => _temp.Combine(name);

    public async Task InitializeAsync()
    {
        await TestModel.EnsureAsync();
        Input = ImageSubset.CopyTo(_temp.Combine("input"), Labels, PerLabel);
        // Brackets in the path: the run's summary table must print it as text, not as console markup.
        Output = _temp.Combine("output [plain]");
        Silo = ChildProcess.Start("fruits-silo", [], new Dictionary<string, string>
        {
            ["Fruits__Silo__Clustering"] = "Localhost",
            ["Fruits__Silo__SiloPort"] = SiloPort.ToString(CultureInfo.InvariantCulture),
            ["Fruits__Silo__PrimarySiloPort"] = SiloPort.ToString(CultureInfo.InvariantCulture),
            ["Fruits__Silo__GatewayPort"] = Gateway,
            ["Fruits__Dashboard__Enabled"] = "true",
            ["Fruits__Dashboard__Port"] = DashboardPort.ToString(CultureInfo.InvariantCulture),
            ["Fruits__Featurizer__MaxConcurrentBatches"] = "1",
            ["Fruits__LogFormat"] = "json",
            ["Serilog__MinimumLevel__Default"] = "Debug",
        });
        await WaitForPortAsync(GatewayPort, TimeSpan.FromMinutes(2));

        await using var client = ChildProcess.Start("fruits",
            ["run", "--input", Input, "--output", Output, "--gateway-port", Gateway, "--batch-size", BatchSize.ToString(CultureInfo.InvariantCulture),
             "--job-id", JobId, "--progress-interval", "0.2",
             "--part-size", "1KB"], // a part per batch: the log tests follow every batch through projection
            new Dictionary<string, string>());
        var exit = await client.WaitAsync(TimeSpan.FromMinutes(5));
        Run = (exit, client.StandardOutput, client.StandardError);
        Assert.True(exit == 0, $"fruits run exited {exit}:\n{client.Output}\n--- silo:\n{Silo.Output}");
    }

    public async Task DisposeAsync()
    {
        await Silo.DisposeAsync();
        _temp.Dispose();
    }

    private async Task WaitForPortAsync(int port, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (Silo.HasExited)
            {
                throw new InvalidOperationException($"fruits-silo exited with {Silo.ExitCode}:\n{Silo.Output}");
            }

            try
            {
                using var tcp = new TcpClient();
                await tcp.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(250);
            }
        }

        throw new TimeoutException($"fruits-silo did not open port {port}:\n{Silo.Output}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
