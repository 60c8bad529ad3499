using System.Diagnostics;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Fruits.Client;
using Fruits.Grains;
using Fruits.Grains.Interfaces;
using Fruits.Silo;
using Fruits.IntegrationTests.EndToEnd;
using Fruits.IntegrationTests.Readiness;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Fruits.IntegrationTests.Security;

/// <summary>
/// Orleans traffic over TLS when "Fruits:Tls" names a certificate: real silos and clients in this process, a
/// certificate made for the test. Cluster and service ids are the defaults everywhere, so TLS is the only difference
/// between a client that gets in and one that does not.
/// </summary>
public sealed class OrleansTlsTests
{
    private const string ClusterId = "fruits";
    private const string Password = "test-only";

    [Fact]
    public async Task Two_silos_and_a_client_holding_the_cluster_certificate_talk_over_TLS()
    {
        using var folder = new TempDirectory("fruits-tls");
        using var certificate = TestCertificates.SelfSigned("fruits-cluster");
        var tls = TlsSettings(certificate, folder);

        await using var first = await InProcessSilo.StartAsync(ClusterId, await SiloSettingsAsync(tls));
        await using var second = await InProcessSilo.StartAsync(ClusterId, await SiloSettingsAsync(tls), primarySiloPort: first.SiloPort);

        // Both listening ports speak TLS, and ask the connecting side for its certificate.
        foreach (var port in new[] { first.SiloPort, first.GatewayPort, second.SiloPort, second.GatewayPort })
        {
            var (protocol, mutual) = await HandshakeAsync(port, certificate);
            Assert.True(protocol >= SslProtocols.Tls12, $"port {port} negotiated {protocol}");
            Assert.True(mutual, $"port {port} did not ask for a client certificate");
        }

        using var client = await StartClientAsync(first.GatewayPort, tls, TimeSpan.FromSeconds(30));
        var grains = client.Services.GetRequiredService<IClusterClient>();

        // The second silo joined through the first (silo-to-silo TLS); the client reaches it through the first's gateway.
        var management = grains.GetGrain<IManagementGrain>(0);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while ((await management.GetHosts(onlyActive: true)).Count < 2)
        {
            Assert.True(DateTime.UtcNow < deadline, "the second silo never became active in the first one's view");
            await Task.Delay(100);
        }

        Assert.Equal(1, (await grains.GetGrain<ISiloRouterGrain>(first.WorkerKey).GetReadiness()).Capacity);
        Assert.Equal(1, (await grains.GetGrain<ISiloRouterGrain>(second.WorkerKey).GetReadiness()).Capacity);
        await client.StopAsync();
    }

    [Fact]
    public async Task A_client_without_TLS_is_refused_by_a_TLS_silo_with_a_readable_message_in_bounded_time()
    {
        using var folder = new TempDirectory("fruits-tls");
        using var certificate = TestCertificates.SelfSigned("fruits-cluster");
        await using var silo = await InProcessSilo.StartAsync(ClusterId, await SiloSettingsAsync(TlsSettings(certificate, folder)));

        var clock = Stopwatch.StartNew();
        var refused = await Assert.ThrowsAsync<ClusterUnreachableException>(
            () => ClusterConnection.ConnectAsync("Localhost", silo.GatewayPort, verbose: false, CancellationToken.None, connectTimeout: TimeSpan.FromSeconds(5)));

        // A silo that hangs up on plain text never fails the connection: the client's time limit ends it.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"refused only after {clock.Elapsed}");
        Assert.StartsWith($"cannot reach the cluster through the gateway on localhost:{silo.GatewayPort} (no gateway answered within 5 s); ", refused.Message);
        Assert.Contains("this client does not use TLS: if the silos do, give it their certificate settings (Fruits:Tls:CertificatePath or CertificatePem)", refused.Message);
        Assert.DoesNotContain('\n', refused.Message);
    }

    [Fact]
    public async Task A_client_whose_certificate_the_cluster_does_not_trust_is_refused()
    {
        using var folder = new TempDirectory("fruits-tls");
        using var cluster = TestCertificates.SelfSigned("fruits-cluster");
        using var stranger = TestCertificates.SelfSigned("someone-else");
        await using var silo = await InProcessSilo.StartAsync(ClusterId, await SiloSettingsAsync(TlsSettings(cluster, folder)));

        // The stranger trusts the cluster's certificate, so only the silo's check of the stranger can refuse it.
        var strangerSettings = TlsSettings(stranger, folder, "stranger");
        strangerSettings["Fruits:Tls:TrustedThumbprints"] = cluster.Thumbprint;

        var clock = Stopwatch.StartNew();
        // The silo hangs up on every try, so the client never starts: its start-up runs into the time limit given.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            using var client = await StartClientAsync(silo.GatewayPort, strangerSettings, TimeSpan.FromSeconds(10));
            await client.Services.GetRequiredService<IClusterClient>().GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true);
        });
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"refused only after {clock.Elapsed}");
    }

    private static Dictionary<string, string?> TlsSettings(X509Certificate2 certificate, TempDirectory folder, string name = "cluster")
    {
        var path = folder.Combine($"{name}.pfx");
        TestCertificates.WritePfx(certificate, path, Password);
        return new Dictionary<string, string?>
        {
            ["Fruits:Tls:CertificatePath"] = path,
            ["Fruits:Tls:Password"] = Password,
        };
    }

    private static async Task<Dictionary<string, string?>> SiloSettingsAsync(Dictionary<string, string?> tls)
    {
        var model = await TestModel.EnsureAsync();
        return new Dictionary<string, string?>(tls)
        {
            ["Fruits:Featurizer:ModelPath"] = model.Path,
            ["Fruits:Featurizer:WeightsDirectory"] = TestPaths.WeightsDirectory,
            ["Fruits:Featurizer:MaxConcurrentBatches"] = "1",
            // No ONNX sessions: these tests are about connections.
            ["Fruits:Featurizer:WarmSessionsOnStart"] = "false",
        };
    }

    /// <summary>A client built the way ClusterConnection builds one, with the TLS settings given.</summary>
    private static async Task<IHost> StartClientAsync(int gatewayPort, Dictionary<string, string?> tls, TimeSpan timeout)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(tls);
        builder.UseOrleansClient(client => client.UseLocalhostClustering(gatewayPort, ClusterId, ClusterId).UseFruitsTls());
        var host = builder.Build();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await host.StartAsync(cancel.Token);
            return host;
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    /// <summary>A bare TLS handshake with the port: what it negotiates, and whether it asked for our certificate.</summary>
    private static async Task<(SslProtocols Protocol, bool Mutual)> HandshakeAsync(int port, X509Certificate2 certificate)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(System.Net.IPAddress.Loopback, port);
        await using var ssl = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false, (_, _, _, _) => true);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "fruits-cluster",
            ClientCertificates = [certificate],
        }, cancel.Token);
        return (ssl.SslProtocol, ssl.IsMutuallyAuthenticated);
    }
}
