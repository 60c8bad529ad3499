using Microsoft.Extensions.Configuration;

namespace Fruits.Silo.Tls;

/// <summary>
/// TLS for Orleans connections (silo to silo, client to gateway), bound from configuration section "Fruits:Tls".
/// On when a certificate is configured (<see cref="CertificatePath"/> or <see cref="CertificatePem"/>), off otherwise. Both ends present a certificate and each accepts only a
/// peer it trusts: one holding this node's own certificate, one listed in <see cref="TrustedThumbprints"/>, or one
/// issued by an authority in <see cref="TrustedCaPath"/>. Silos are reached by IP address, so the certificate's host
/// names are not checked; the trust list is what authenticates a peer.
/// </summary>
public sealed class FruitsTlsOptions
{
    public const string Section = "Fruits:Tls";

    /// <summary>
    /// This node's certificate with its private key: a PKCS#12 file (.pfx/.p12), or a PEM file holding the certificate
    /// and, unless <see cref="KeyPath"/> is set, its key. Its extended key usages, when it has any, must include both
    /// server and client authentication, as every node is both. Empty = TLS off.
    /// </summary>
    public string CertificatePath { get; set; } = "";

    /// <summary>
    /// This node's certificate and private key as PEM text instead of a file: for a container that receives it in an
    /// environment variable from a secret store (deploy/ecs/README.md). Empty = <see cref="CertificatePath"/>.
    /// </summary>
    public string CertificatePem { get; set; } = "";

    /// <summary>The PEM private key of a PEM <see cref="CertificatePath"/> kept in a file of its own; empty = in the certificate file.</summary>
    public string KeyPath { get; set; } = "";

    /// <summary>The PKCS#12 file's password, or the encrypted PEM key's; empty = none.</summary>
    public string Password { get; set; } = "";

    /// <summary>PEM file of certificate authorities: a peer whose certificate chains up to one of them is trusted.</summary>
    public string TrustedCaPath { get; set; } = "";

    /// <summary>The authorities of <see cref="TrustedCaPath"/> as PEM text instead of a file.</summary>
    public string TrustedCaPem { get; set; } = "";

    /// <summary>
    /// Peer certificates trusted by thumbprint, comma- or space-separated: SHA-1 (40 hex digits, as tools print it)
    /// or SHA-256 (64 hex digits). This node's own certificate is always trusted.
    /// </summary>
    public string TrustedThumbprints { get; set; } = "";

    /// <summary>
    /// Encrypts without checking who the peer is: any certificate is accepted. For trying TLS out only; anyone who can
    /// reach a port can then join or call the cluster.
    /// </summary>
    public bool AllowAnyRemoteCertificate { get; set; }

    /// <summary>TLS is on exactly when a certificate is configured.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(CertificatePath) || !string.IsNullOrWhiteSpace(CertificatePem);

    public static FruitsTlsOptions From(IConfiguration configuration) =>
        configuration.GetSection(Section).Get<FruitsTlsOptions>() ?? new FruitsTlsOptions();

    /// <summary>The parsed <see cref="TrustedThumbprints"/>, upper case.</summary>
    public IReadOnlyList<string> ThumbprintList() =>
        TrustedThumbprints.Split([',', ' ', ';', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(t => t.Replace(":", "", StringComparison.Ordinal).ToUpperInvariant())
            .ToList();
}
