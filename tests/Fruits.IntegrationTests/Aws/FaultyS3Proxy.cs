using System.Net;
using System.Net.Sockets;

namespace Fruits.IntegrationTests.Aws;

/// <summary>
/// A loopback HTTP proxy in front of moto_server that answers some requests with an S3 error instead of
/// forwarding them: throttling for retry tests, access denied for permission tests.
/// </summary>
public sealed class FaultyS3Proxy : IAsyncDisposable
{
    private static readonly HashSet<string> HopHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Connection", "Content-Length", "Transfer-Encoding", "Keep-Alive", "Expect",
    };

    private readonly HttpListener _listener = new();
    private readonly HttpClient _forward = new() { Timeout = TimeSpan.FromMinutes(2) };
    private readonly string _target;
    private readonly Func<int, string, string, (int Status, string Code)?> _fault;
    private readonly Task _loop;
    private int _requests;
    private int _faults;

    /// <param name="fault">Given the request's ordinal, the error to answer with, or null to forward it.</param>
    public FaultyS3Proxy(string target, Func<int, (int Status, string Code)?> fault)
        : this(target, (ordinal, _, _) => fault(ordinal))
    {
    }

    /// <param name="fault">Given the request's ordinal, method and raw URL (path-style: /bucket/key?query), the error to answer with, or null to forward it.</param>
    public FaultyS3Proxy(string target, Func<int, string, string, (int Status, string Code)?> fault)
    {
        _target = target.TrimEnd('/');
        _fault = fault;
        var port = FreePort();
        Endpoint = $"http://127.0.0.1:{port}";
        _listener.Prefixes.Add(Endpoint + "/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public string Endpoint { get; }

    public int Requests => _requests;

    public int Faults => _faults;

    public static (int, string)? Throttle(int ordinal, int every) => ordinal % every == 0 ? (503, "SlowDown") : null;

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var ordinal = Interlocked.Increment(ref _requests);
        try
        {
            if (_fault(ordinal, context.Request.HttpMethod, context.Request.RawUrl ?? "") is { } fault)
            {
                Interlocked.Increment(ref _faults);
                await DrainAsync(context.Request.InputStream);
                context.Response.StatusCode = fault.Status;
                context.Response.ContentType = "application/xml";
                var body = System.Text.Encoding.UTF8.GetBytes(
                    $"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{fault.Code}</Code><Message>injected by the test proxy</Message><RequestId>{ordinal}</RequestId></Error>");
                await context.Response.OutputStream.WriteAsync(body);
                context.Response.Close();
                return;
            }

            using var request = new HttpRequestMessage(new HttpMethod(context.Request.HttpMethod), _target + context.Request.RawUrl);
            using var buffer = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(buffer);
            if (buffer.Length > 0 || context.Request.HttpMethod is "PUT" or "POST")
            {
                request.Content = new ByteArrayContent(buffer.ToArray());
            }

            foreach (var name in context.Request.Headers.AllKeys.OfType<string>().Where(n => !HopHeaders.Contains(n)))
            {
                var value = context.Request.Headers[name]!;
                if (!request.Headers.TryAddWithoutValidation(name, value))
                {
                    request.Content?.Headers.TryAddWithoutValidation(name, value);
                }
            }

            using var response = await _forward.SendAsync(request);
            context.Response.StatusCode = (int)response.StatusCode;
            foreach (var header in response.Headers.Concat(response.Content.Headers).Where(h => !HopHeaders.Contains(h.Key)))
            {
                context.Response.Headers[header.Key] = string.Join(",", header.Value);
            }

            var content = await response.Content.ReadAsByteArrayAsync();
            context.Response.ContentLength64 = content.Length;
            await context.Response.OutputStream.WriteAsync(content);
            context.Response.Close();
        }
        catch (Exception e) when (e is HttpListenerException or IOException or HttpRequestException or ObjectDisposedException)
        {
            context.Response.Abort();
        }
    }

    private static async Task DrainAsync(Stream stream)
    {
        var buffer = new byte[81920];
        while (await stream.ReadAsync(buffer) > 0)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop;
        _forward.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
