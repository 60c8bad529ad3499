using System.Security.Cryptography.X509Certificates;
using Fruits.Silo.Tls;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Connections.Security;

namespace Fruits.Silo;

public static class FruitsTlsHostingExtensions
{
    /// <summary>
    /// TLS on this silo's connections (silo to silo, and its gateway for clients) as configuration section "Fruits:Tls"
    /// says; nothing when no certificate is configured. Mutual: a peer without a trusted certificate is refused.
    /// </summary>
    public static ISiloBuilder UseFruitsTls(this ISiloBuilder silo, Action<FruitsTlsOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(silo);
        var options = Resolve(silo.Services, silo.Configuration, configure);
        if (options.Enabled)
        {
            var certificate = TlsCertificateLoader.LoadNodeCertificate(options);
            silo.UseTls(certificate, tls => Configure(tls, options, certificate));
            AnnounceAtStart(silo.Services, options, certificate);
        }

        return silo;
    }

    /// <summary>TLS on this client's gateway connections as configuration section "Fruits:Tls" says; nothing without a certificate.</summary>
    public static IClientBuilder UseFruitsTls(this IClientBuilder client, Action<FruitsTlsOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        var options = Resolve(client.Services, client.Configuration, configure);
        if (options.Enabled)
        {
            var certificate = TlsCertificateLoader.LoadNodeCertificate(options);
            client.UseTls(certificate, tls => Configure(tls, options, certificate));
            AnnounceAtStart(client.Services, options, certificate);
        }

        return client;
    }

    /// <summary>
    /// The options bound and validated now, not at host start: the TLS middleware takes its certificate while the
    /// builder runs. They are also registered, so the host's own options validation sees the same settings.
    /// </summary>
    private static FruitsTlsOptions Resolve(IServiceCollection services, IConfiguration configuration, Action<FruitsTlsOptions>? configure)
    {
        var optionsBuilder = services.AddOptions<FruitsTlsOptions>().BindConfiguration(FruitsTlsOptions.Section).ValidateOnStart();
        if (configure is not null)
        {
            optionsBuilder.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FruitsTlsOptions>, FruitsTlsOptionsValidator>());

        var options = FruitsTlsOptions.From(configuration);
        configure?.Invoke(options);
        var result = new FruitsTlsOptionsValidator().Validate(Options.DefaultName, options);
        return result.Failed ? throw new OptionsValidationException(Options.DefaultName, typeof(FruitsTlsOptions), result.Failures) : options;
    }

    private static void AnnounceAtStart(IServiceCollection services, FruitsTlsOptions options, X509Certificate2 certificate)
    {
        var trust = options.AllowAnyRemoteCertificate
            ? "ANY certificate (AllowAnyRemoteCertificate: encrypted, not authenticated)"
            : string.Join(", ", new[]
            {
                "this certificate",
                options.ThumbprintList().Count > 0 ? $"{options.ThumbprintList().Count} pinned thumbprint(s)" : null,
                !string.IsNullOrWhiteSpace(options.TrustedCaPath) || !string.IsNullOrWhiteSpace(options.TrustedCaPem) ? "certificates of the configured authorities" : null,
            }.OfType<string>());
        services.AddHostedService(provider => new TlsStatusLog(
            certificate.Subject, certificate.Thumbprint, certificate.NotAfter, trust, provider.GetRequiredService<ILogger<TlsStatusLog>>()));
    }

    private static void Configure(TlsOptions tls, FruitsTlsOptions options, X509Certificate2 certificate)
    {
        // Both directions authenticate: a silo accepts a client or silo only with a trusted certificate, and a client
        // or silo connects only to a peer presenting one.
        tls.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
        tls.ClientCertificateMode = RemoteCertificateMode.RequireCertificate;
        if (options.AllowAnyRemoteCertificate)
        {
            tls.AllowAnyRemoteCertificate();
            return;
        }

        var trust = new TlsPeerTrust(certificate, options.ThumbprintList(), TlsCertificateLoader.LoadAuthorities(options));
        // The handshake's own policy errors (name mismatch: peers are reached by IP; untrusted root: a private
        // authority or a self-signed certificate) are replaced by the cluster's trust list.
        tls.RemoteCertificateValidation = (peer, chain, _) => trust.IsTrusted(peer, chain);
    }
}
