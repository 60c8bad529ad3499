using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Fruits.IntegrationTests.Classifying;

/// <summary>`fruits serve OUTPUT --port P` as a separate process, answering once its index is loaded.</summary>
public sealed class ServeProcess : IAsyncDisposable
{
    private readonly ChildProcess _process;

    private ServeProcess(ChildProcess process, int port)
    {
        _process = process;
        Port = port;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromMinutes(1) };
    }

    public int Port { get; }

    public HttpClient Http { get; }

    public string Output => _process.Output;

    public bool HasExited => _process.HasExited;

    public static async Task<ServeProcess> StartAsync(string output, IReadOnlyDictionary<string, string> environment)
    {
        var port = FreePort();
        var server = new ServeProcess(ChildProcess.Start("fruits", ["serve", output, "--port", port.ToString(CultureInfo.InvariantCulture)], environment), port);
        // Listening means the silo is up; the index answers once it is loaded.
        while (!server._process.HasExited)
        {
            try
            {
                using var response = await server.Http.GetAsync("v1/index");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return server;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            await Task.Delay(200);
        }

        throw new InvalidOperationException($"fruits serve exited {server._process.ExitCode}:\n{server._process.Output}");
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (!_process.HasExited)
        {
            _process.Terminate();
            await _process.WaitAsync(TimeSpan.FromSeconds(30));
        }

        await _process.DisposeAsync();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
