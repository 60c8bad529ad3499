using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Fruits.IntegrationTests.Observability;

namespace Fruits.IntegrationTests.Classifying;

/// <summary>
/// Headless Chromium driven over the DevTools protocol: what --dump-dom cannot do, such as choosing a file in a
/// page's file input and taking a screenshot of the result.
/// </summary>
public sealed partial class DevToolsBrowser : IAsyncDisposable
{
    private readonly ChildProcessLite _chromium;
    private readonly DirectoryInfo _profile;
    private readonly ClientWebSocket _socket = new();
    private int _nextId;

    private DevToolsBrowser(ChildProcessLite chromium, DirectoryInfo profile)
    {
        _chromium = chromium;
        _profile = profile;
    }

    public static async Task<DevToolsBrowser> StartAsync()
    {
        var profile = Directory.CreateTempSubdirectory("fruits-chromium");
        var chromium = ChildProcessLite.Start(Chromium.Find(),
        [
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
            "--remote-debugging-port=0", "--window-size=1000,1200", $"--user-data-dir={profile.FullName}", "about:blank",
        ]);
        var browser = new DevToolsBrowser(chromium, profile);
        var line = await chromium.WaitForLineAsync(l => DevToolsUrl().IsMatch(l), TimeSpan.FromSeconds(60));
        var port = new Uri(DevToolsUrl().Match(line).Value).Port;
        using var http = new HttpClient();
        var targets = JsonNode.Parse(await http.GetStringAsync($"http://127.0.0.1:{port}/json/list"))!.AsArray();
        var page = targets.First(t => (string?)t!["type"] == "page")!;
        await browser._socket.ConnectAsync(new Uri((string)page["webSocketDebuggerUrl"]!), CancellationToken.None);
        return browser;
    }

    public async Task<JsonNode> SendAsync(string method, object? parameters = null)
    {
        var id = ++_nextId;
        var message = JsonSerializer.SerializeToUtf8Bytes(new { id, method, @params = parameters ?? new { } });
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await _socket.SendAsync(message, WebSocketMessageType.Text, true, timeout.Token);
        var buffer = new byte[1 << 20];
        while (true)
        {
            using var received = new MemoryStream();
            WebSocketReceiveResult result;
            do
            {
                result = await _socket.ReceiveAsync(buffer, timeout.Token);
                received.Write(buffer, 0, result.Count);
            }
            while (!result.EndOfMessage);

            var reply = JsonNode.Parse(received.ToArray())!;
            if ((int?)reply["id"] != id)
            {
                continue; // an event
            }

            if (reply["error"] is { } error)
            {
                throw new InvalidOperationException($"{method}: {error.ToJsonString()}");
            }

            return reply["result"]!;
        }
    }

    /// <summary>A JavaScript expression's value in the page.</summary>
    public async Task<JsonNode?> EvaluateAsync(string expression)
    {
        var result = await SendAsync("Runtime.evaluate", new { expression, returnByValue = true, awaitPromise = true });
        return result["result"]!["value"];
    }

    /// <summary>Polls <paramref name="expression"/> until it is a non-empty string or true.</summary>
    public async Task<string> WaitForAsync(string expression, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var value = await EvaluateAsync(expression);
            var text = value?.GetValueKind() switch
            {
                JsonValueKind.String => (string?)value,
                JsonValueKind.True => "true",
                _ => null,
            };
            if (!string.IsNullOrEmpty(text))
            {
                return text;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the page never satisfied {expression}");
            }

            await Task.Delay(100);
        }
    }

    public async Task NavigateAsync(string url)
    {
        await SendAsync("Page.enable");
        await SendAsync("Page.navigate", new { url });
        await WaitForAsync("document.readyState === 'complete'", TimeSpan.FromSeconds(30));
    }

    /// <summary>Chooses <paramref name="file"/> in the page's file input, as a person picking it would (change fires).</summary>
    public async Task ChooseFileAsync(string selector, string file)
    {
        var document = await SendAsync("DOM.getDocument");
        var node = await SendAsync("DOM.querySelector", new { nodeId = (int)document["root"]!["nodeId"]!, selector });
        await SendAsync("DOM.setFileInputFiles", new { files = new[] { file }, nodeId = (int)node["nodeId"]! });
    }

    public async Task<byte[]> ScreenshotAsync()
    {
        var shot = await SendAsync("Page.captureScreenshot", new { format = "png" });
        return Convert.FromBase64String((string)shot["data"]!);
    }

    public async ValueTask DisposeAsync()
    {
        _socket.Dispose();
        await _chromium.DisposeAsync();
        _profile.Delete(recursive: true);
    }

    [GeneratedRegex(@"ws://127\.0\.0\.1:\d+/devtools/browser/\S+")]
    private static partial Regex DevToolsUrl();

    /// <summary>A child process whose stderr lines can be awaited.</summary>
    private sealed class ChildProcessLite : IAsyncDisposable
    {
        private readonly System.Diagnostics.Process _process;
        private readonly List<string> _lines = [];
        private readonly SemaphoreSlim _changed = new(0);

        private ChildProcessLite(System.Diagnostics.Process process)
        {
            _process = process;
            _process.ErrorDataReceived += (_, e) => Add(e.Data);
            _process.OutputDataReceived += (_, e) => Add(e.Data);
            _process.BeginErrorReadLine();
            _process.BeginOutputReadLine();
        }

        public static ChildProcessLite Start(string executable, IEnumerable<string> arguments)
        {
            var start = new System.Diagnostics.ProcessStartInfo(executable) { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }

            return new ChildProcessLite(System.Diagnostics.Process.Start(start)!);
        }

        public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout)
        {
            using var cancel = new CancellationTokenSource(timeout);
            while (true)
            {
                lock (_lines)
                {
                    if (_lines.FirstOrDefault(match) is { } line)
                    {
                        return line;
                    }

                    if (_process.HasExited)
                    {
                        throw new InvalidOperationException($"chromium exited {_process.ExitCode}:\n{string.Join('\n', _lines)}");
                    }
                }

                await _changed.WaitAsync(TimeSpan.FromSeconds(1), cancel.Token);
            }
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

        private void Add(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (_lines)
            {
                _lines.Add(line);
            }

            _changed.Release();
        }
    }
}
