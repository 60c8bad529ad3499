using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Fruits.IntegrationTests.Aws;

/// <summary>
/// A real local AWS emulator (moto_server) on a random loopback port, for the life of a test fixture.
/// Installs moto[server] with pip when the command is missing.
/// </summary>
public sealed class MotoServer : IAsyncDisposable
{
    private readonly Process _process;

    private MotoServer(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public string Endpoint => $"http://127.0.0.1:{Port}";

    /// <param name="serializeRequests">
    /// Serve one request at a time. moto_server is always threaded, and its DynamoDB TransactWriteItems checks
    /// conditions and writes without a lock (and rolls back by restoring a whole-table snapshot), so concurrent
    /// transactions are not isolated as on real DynamoDB. Tests of optimistic concurrency need this.
    /// </param>
    public static async Task<MotoServer> StartAsync(bool serializeRequests = false)
    {
        var command = FindOnPath("moto_server") ?? await InstallAsync();
        var port = FreePort();
        var portText = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var start = serializeRequests
            ? new ProcessStartInfo("python3", ["-c", SingleThreadedServer, "127.0.0.1", portText])
            : new ProcessStartInfo(command, ["-H", "127.0.0.1", "-p", portText]);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        var process = Process.Start(start) ?? throw new InvalidOperationException("moto_server did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"moto_server exited with {process.ExitCode}");
            }

            try
            {
                await http.GetAsync($"http://127.0.0.1:{port}/moto-api/");
                return new MotoServer(process, port);
            }
            catch (HttpRequestException)
            {
                await Task.Delay(200);
            }
            catch (TaskCanceledException)
            {
                await Task.Delay(200);
            }
        }

        process.Kill(entireProcessTree: true);
        throw new TimeoutException("moto_server did not answer within 60 s");
    }

    /// <summary>Points the AWS SDK default chain of this process at the emulator (dummy credentials).</summary>
    public void UseForThisProcess()
    {
        Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", "testing");
        Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", "testing");
        Environment.SetEnvironmentVariable("AWS_REGION", "us-east-1");
        Environment.SetEnvironmentVariable("AWS_DEFAULT_REGION", "us-east-1");
        Environment.SetEnvironmentVariable("AWS_ENDPOINT_URL_S3", Endpoint);
        Environment.SetEnvironmentVariable("AWS_ENDPOINT_URL_DYNAMODB", Endpoint);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    // moto.server.main with threaded=False; MOTO_PORT tells moto its own port, as moto_server does.
    private const string SingleThreadedServer = """
        import os, sys
        from werkzeug.serving import run_simple
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
        os.environ.setdefault("MOTO_PORT", sys.argv[2])
        run_simple(sys.argv[1], int(sys.argv[2]), DomainDispatcherApplication(create_backend_app), threaded=False)
        """;

    private static async Task<string> InstallAsync()
    {
        var pip = Process.Start(new ProcessStartInfo("python3", ["-m", "pip", "install", "--quiet", "moto[server]"]))
            ?? throw new InvalidOperationException("python3 -m pip could not start");
        await pip.WaitForExitAsync();
        return FindOnPath("moto_server") ?? throw new InvalidOperationException("moto_server is missing and pip could not install moto[server]");
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
