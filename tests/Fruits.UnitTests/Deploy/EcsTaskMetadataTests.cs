using System.Net;
using System.Net.Sockets;
using System.Text;
using Fruits.Silo.Ecs;

namespace Fruits.UnitTests.Deploy;

public sealed class EcsTaskMetadataTests
{
    /// <summary>A Fargate task metadata v4 /task response (shape from the Amazon ECS developer guide).</summary>
    private const string FargateTask = """
        {
          "Cluster": "arn:aws:ecs:eu-west-1:111122223333:cluster/fruits",
          "TaskARN": "arn:aws:ecs:eu-west-1:111122223333:task/fruits/e9028f8d5d8e4f258373e7b93ce9a3c3",
          "Family": "fruits-silo",
          "Revision": "3",
          "DesiredStatus": "RUNNING",
          "KnownStatus": "RUNNING",
          "Limits": { "CPU": 2, "Memory": 4096 },
          "PullStartedAt": "2026-10-08T20:47:16.053330955Z",
          "PullStoppedAt": "2026-10-08T20:47:19.592684631Z",
          "AvailabilityZone": "eu-west-1a",
          "Containers": [
            {
              "DockerId": "e9028f8d5d8e4f258373e7b93ce9a3c3-2495160603",
              "Name": "silo",
              "DockerName": "silo",
              "Image": "111122223333.dkr.ecr.eu-west-1.amazonaws.com/fruits:1.0",
              "ImageID": "sha256:d691691e9652791a60114e67b365688d20d19940dde7c4736ea30e660d8d3553",
              "Labels": { "com.amazonaws.ecs.container-name": "silo" },
              "DesiredStatus": "RUNNING",
              "KnownStatus": "RUNNING",
              "Limits": { "CPU": 2, "Memory": 4096 },
              "CreatedAt": "2026-10-08T20:47:20.567813946Z",
              "StartedAt": "2026-10-08T20:47:20.567813946Z",
              "Type": "NORMAL",
              "Networks": [
                {
                  "NetworkMode": "awsvpc",
                  "IPv4Addresses": [ "10.0.2.106" ],
                  "AttachmentIndex": 0,
                  "MACAddress": "0a:de:f6:10:51:e5",
                  "IPv4SubnetCIDRBlock": "10.0.2.0/24",
                  "DomainNameServers": [ "10.0.0.2" ],
                  "DomainNameSearchList": [ "eu-west-1.compute.internal" ],
                  "PrivateDNSName": "ip-10-0-2-106.eu-west-1.compute.internal",
                  "SubnetGatewayIpv4Address": "10.0.2.1/24"
                }
              ],
              "ContainerARN": "arn:aws:ecs:eu-west-1:111122223333:container/fruits/e9028f8d5d8e4f258373e7b93ce9a3c3/f3a6b3a4",
              "LogOptions": { "awslogs-group": "/ecs/fruits", "awslogs-region": "eu-west-1", "awslogs-stream": "silo/silo/e9028f8d5d8e4f258373e7b93ce9a3c3" },
              "LogDriver": "awslogs"
            }
          ],
          "LaunchType": "FARGATE",
          "ClockDrift": { "ClockErrorBound": 0.5458, "ReferenceTimestamp": "2026-10-08T20:46:30Z", "ClockSynchronizationStatus": "SYNCHRONIZED" }
        }
        """;

    [Fact]
    public async Task Returns_the_task_IPv4_from_the_v4_task_document()
    {
        await using var endpoint = FakeMetadataEndpoint.Start((200, FargateTask));
        using var http = new HttpClient();

        Assert.Equal(IPAddress.Parse("10.0.2.106"), await EcsTaskMetadata.TryGetTaskIPv4Async(http, endpoint.MetadataUri, CancellationToken.None));
        Assert.Equal(IPAddress.Parse("10.0.2.106"), await EcsTaskMetadata.TryGetTaskIPv4Async(http, endpoint.MetadataUri + "/", CancellationToken.None));
        Assert.All(endpoint.RequestedPaths, p => Assert.Equal("/v4/e9028f8d5d8e4f258373e7b93ce9a3c3-2495160603/task", p));
    }

    [Fact]
    public async Task Skips_containers_without_IPv4_and_takes_the_first_one()
    {
        const string task = """
            {"Containers":[
              {"Name":"sidecar"},
              {"Name":"v6","Networks":[{"NetworkMode":"awsvpc","IPv4Addresses":[],"IPv6Addresses":["2001:db8::5"]}]},
              {"Name":"silo","Networks":[{"NetworkMode":"awsvpc","IPv4Addresses":["not-an-ip","2001:db8::6","172.31.7.9","172.31.7.10"]}]}
            ]}
            """;
        await using var endpoint = FakeMetadataEndpoint.Start((200, task));
        using var http = new HttpClient();

        Assert.Equal(IPAddress.Parse("172.31.7.9"), await EcsTaskMetadata.TryGetTaskIPv4Async(http, endpoint.MetadataUri, CancellationToken.None));
    }

    [Theory]
    [InlineData(200, "{ not json")]
    [InlineData(200, "[]")]
    [InlineData(200, "{\"Containers\":{}}")]
    [InlineData(200, "{\"Containers\":[{\"Networks\":[{\"IPv4Addresses\":[42]}]}]}")]
    [InlineData(200, "")]
    [InlineData(404, "{}")]
    [InlineData(500, FargateTask)]
    public async Task Malformed_or_failed_answers_give_null(int status, string body)
    {
        await using var endpoint = FakeMetadataEndpoint.Start((status, body));
        using var http = new HttpClient();

        Assert.Null(await EcsTaskMetadata.TryGetTaskIPv4Async(http, endpoint.MetadataUri, CancellationToken.None));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("not a uri")]
    [InlineData("file:///etc/passwd")]
    public async Task No_or_unusable_uri_gives_null(string? uri)
    {
        using var http = new HttpClient();
        Assert.Null(await EcsTaskMetadata.TryGetTaskIPv4Async(http, uri, CancellationToken.None));
    }

    [Fact]
    public async Task Unreachable_endpoint_gives_null()
    {
        var port = FakeMetadataEndpoint.FreePort(); // nothing listens there
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };

        Assert.Null(await EcsTaskMetadata.TryGetTaskIPv4Async(http, $"http://127.0.0.1:{port}/v4/abc", CancellationToken.None));
    }

    [Fact]
    public async Task Endpoint_that_never_answers_gives_null_after_the_client_timeout()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0); // accepts connections, never answers
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        using var http = new HttpClient { Timeout = TimeSpan.FromMilliseconds(500) };

        Assert.Null(await EcsTaskMetadata.TryGetTaskIPv4Async(http, $"http://127.0.0.1:{port}/v4/abc", CancellationToken.None));
    }

    [Fact]
    public async Task Caller_cancellation_is_not_swallowed()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => EcsTaskMetadata.TryGetTaskIPv4Async(http, $"http://127.0.0.1:{port}/v4/abc", cancel.Token));
    }

    /// <summary>HttpListener on a free loopback port answering every request with one canned response.</summary>
    private sealed class FakeMetadataEndpoint : IAsyncDisposable
    {
        private readonly HttpListener _listener;
        private readonly Task _loop;
        private readonly List<string> _paths = [];

        private FakeMetadataEndpoint(HttpListener listener, int port, (int Status, string Body) response)
        {
            _listener = listener;
            MetadataUri = $"http://127.0.0.1:{port}/v4/e9028f8d5d8e4f258373e7b93ce9a3c3-2495160603";
            _loop = Task.Run(async () =>
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

                    lock (_paths)
                    {
                        _paths.Add(context.Request.Url!.AbsolutePath);
                    }

                    var bytes = Encoding.UTF8.GetBytes(response.Body);
                    context.Response.StatusCode = response.Status;
                    context.Response.ContentType = "application/json";
                    context.Response.ContentLength64 = bytes.Length;
                    await context.Response.OutputStream.WriteAsync(bytes);
                    context.Response.Close();
                }
            });
        }

        public string MetadataUri { get; }

        public IReadOnlyList<string> RequestedPaths
        {
            get
            {
                lock (_paths)
                {
                    return [.. _paths];
                }
            }
        }

        public static FakeMetadataEndpoint Start((int Status, string Body) response)
        {
            for (var attempt = 0; ; attempt++)
            {
                var port = FreePort();
                var listener = new HttpListener();
                listener.Prefixes.Add($"http://127.0.0.1:{port}/");
                try
                {
                    listener.Start();
                    return new FakeMetadataEndpoint(listener, port, response);
                }
                catch (HttpListenerException) when (attempt < 5)
                {
                    listener.Close(); // the port was taken in between; try another
                }
            }
        }

        public static int FreePort()
        {
            using var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            return ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        public async ValueTask DisposeAsync()
        {
            _listener.Stop();
            _listener.Close();
            await _loop;
        }
    }
}
