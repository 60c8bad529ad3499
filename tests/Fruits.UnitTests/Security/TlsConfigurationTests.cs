using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Fruits.Silo.Tls;

namespace Fruits.UnitTests.Security;

/// <summary>The certificate files "Fruits:Tls" accepts, the settings it refuses, and whom a node trusts.</summary>
public sealed class TlsConfigurationTests
{
    [Fact]
    public void A_certificate_loads_from_PFX_with_a_password_and_from_PEM_with_its_key_inside_or_beside_it()
    {
        using var folder = new TempDirectory("fruits-tls");
        using var certificate = TestCertificates.SelfSigned("fruits-cluster");
        TestCertificates.WritePfx(certificate, folder.Combine("node.pfx"), "pw");
        TestCertificates.WritePem(certificate, folder.Combine("both.pem"), keyPath: null);
        TestCertificates.WritePem(certificate, folder.Combine("cert.pem"), folder.Combine("key.pem"));

        foreach (var options in new[]
        {
            new FruitsTlsOptions { CertificatePath = folder.Combine("node.pfx"), Password = "pw" },
            new FruitsTlsOptions { CertificatePath = folder.Combine("both.pem") },
            new FruitsTlsOptions { CertificatePath = folder.Combine("cert.pem"), KeyPath = folder.Combine("key.pem") },
        })
        {
            Assert.True(new FruitsTlsOptionsValidator().Validate(null, options).Succeeded);
            using var loaded = TlsCertificateLoader.LoadNodeCertificate(options);
            Assert.Equal(certificate.Thumbprint, loaded.Thumbprint);
            Assert.True(loaded.HasPrivateKey, options.CertificatePath);
        }

        // PEM text, as a container gets it from a secret store in an environment variable.
        var text = new FruitsTlsOptions { CertificatePem = File.ReadAllText(folder.Combine("both.pem")) };
        Assert.True(text.Enabled);
        Assert.True(new FruitsTlsOptionsValidator().Validate(null, text).Succeeded);
        using (var loaded = TlsCertificateLoader.LoadNodeCertificate(text))
        {
            Assert.Equal(certificate.Thumbprint, loaded.Thumbprint);
            Assert.True(loaded.HasPrivateKey);
        }

        var certificateOnly = Assert.Throws<InvalidOperationException>(() =>
            TlsCertificateLoader.LoadNodeCertificate(new FruitsTlsOptions { CertificatePem = File.ReadAllText(folder.Combine("cert.pem")) }));
        Assert.StartsWith("Fruits:Tls:CertificatePem cannot be loaded: ", certificateOnly.Message);
        Assert.DoesNotContain("BEGIN", certificateOnly.Message); // the secret's text stays out of messages

        var noKey = new FruitsTlsOptions { CertificatePath = folder.Combine("cert.pem") };
        var missingKey = Assert.Throws<InvalidOperationException>(() => TlsCertificateLoader.LoadNodeCertificate(noKey));
        Assert.Contains("Fruits:Tls:CertificatePath", missingKey.Message);
        var wrongPassword = Assert.Throws<InvalidOperationException>(() =>
            TlsCertificateLoader.LoadNodeCertificate(new FruitsTlsOptions { CertificatePath = folder.Combine("node.pfx"), Password = "wrong" }));
        Assert.StartsWith($"Fruits:Tls:CertificatePath '{folder.Combine("node.pfx")}' cannot be loaded: ", wrongPassword.Message);
    }

    [Fact]
    public void Settings_that_cannot_work_are_refused_with_the_setting_named()
    {
        var validator = new FruitsTlsOptionsValidator();
        Assert.True(validator.Validate(null, new FruitsTlsOptions()).Succeeded); // TLS off

        var halfConfigured = validator.Validate(null, new FruitsTlsOptions { TrustedThumbprints = new string('A', 40) });
        Assert.True(halfConfigured.Failed);
        Assert.Contains("Fruits:Tls:TrustedThumbprints is set but no certificate is (Fruits:Tls:CertificatePath or CertificatePem)", halfConfigured.FailureMessage);

        var both = validator.Validate(null, new FruitsTlsOptions { CertificatePath = "/x.pfx", CertificatePem = "-----BEGIN CERTIFICATE-----" });
        Assert.Contains("Fruits:Tls:CertificatePath and Fruits:Tls:CertificatePem are both set; give one", both.FailureMessage);

        var missing = validator.Validate(null, new FruitsTlsOptions { CertificatePath = "/nonexistent/node.pfx" });
        Assert.Contains("Fruits:Tls:CertificatePath: file '/nonexistent/node.pfx' not found", missing.FailureMessage);

        using var folder = new TempDirectory("fruits-tls");
        File.WriteAllText(folder.Combine("node.pem"), "");
        var badThumbprint = validator.Validate(null, new FruitsTlsOptions { CertificatePath = folder.Combine("node.pem"), TrustedThumbprints = "abc, " + new string('b', 64) });
        Assert.True(badThumbprint.Failed);
        Assert.Contains("'ABC' is not a SHA-1 (40 hex digits) or SHA-256 (64 hex digits) thumbprint", badThumbprint.FailureMessage);
        Assert.DoesNotContain("BBBB", badThumbprint.FailureMessage);
    }

    [Fact]
    public void A_peer_is_trusted_by_own_certificate_pinned_thumbprint_or_configured_authority_and_nothing_else()
    {
        using var own = TestCertificates.SelfSigned("node-a");
        using var authority = TestCertificates.Authority("fruits-ca");
        using var otherAuthority = TestCertificates.Authority("other-ca");
        using var issued = TestCertificates.IssuedBy(authority, "node-b");
        using var foreign = TestCertificates.IssuedBy(otherAuthority, "node-c");
        using var pinned = TestCertificates.SelfSigned("node-d");
        using var stranger = TestCertificates.SelfSigned("node-e");

        var trust = new TlsPeerTrust(own, [pinned.GetCertHashString(HashAlgorithmName.SHA256)], [authority]);

        Assert.True(trust.IsTrusted(own, null));
        Assert.True(trust.IsTrusted(issued, null));
        Assert.True(trust.IsTrusted(pinned, null));
        Assert.False(trust.IsTrusted(foreign, null));
        Assert.False(trust.IsTrusted(stranger, null));

        // Authorities given as PEM text load like the file.
        using var folder = new TempDirectory("fruits-tls");
        File.WriteAllText(folder.Combine("ca.pem"), authority.ExportCertificatePem() + "\n" + otherAuthority.ExportCertificatePem() + "\n");
        Assert.Equal(2, TlsCertificateLoader.LoadAuthorities(new FruitsTlsOptions { TrustedCaPath = folder.Combine("ca.pem") }).Count);
        var fromText = TlsCertificateLoader.LoadAuthorities(new FruitsTlsOptions { TrustedCaPem = authority.ExportCertificatePem() });
        Assert.True(new TlsPeerTrust(own, [], fromText).IsTrusted(issued, null));
        Assert.False(new TlsPeerTrust(own, [], fromText).IsTrusted(foreign, null));

        // No authorities configured: only the own and pinned certificates.
        var pinnedOnly = new TlsPeerTrust(own, [pinned.Thumbprint], []);
        Assert.False(pinnedOnly.IsTrusted(issued, null));
        Assert.True(pinnedOnly.IsTrusted(pinned, null));
    }
}
