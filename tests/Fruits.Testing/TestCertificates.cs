using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Fruits.Testing;

/// <summary>Certificates made on the spot: self-signed node certificates, and a private authority issuing them.</summary>
public static class TestCertificates
{
    /// <summary>A self-signed certificate usable for both TLS server and client authentication, as every node needs.</summary>
    public static X509Certificate2 SelfSigned(string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = NodeRequest(subject, key);
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
    }

    public static X509Certificate2 Authority(string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={subject}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(2));
    }

    /// <summary>A node certificate, with its private key, issued by <paramref name="authority"/>.</summary>
    public static X509Certificate2 IssuedBy(X509Certificate2 authority, string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = NodeRequest(subject, key);
        var serial = RandomNumberGenerator.GetBytes(12);
        using var issued = request.Create(authority, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1), serial);
        return issued.CopyWithPrivateKey(key);
    }

    public static void WritePfx(X509Certificate2 certificate, string path, string? password) =>
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pkcs12, password));

    public static void WritePem(X509Certificate2 certificate, string certificatePath, string? keyPath)
    {
        var key = certificate.GetECDsaPrivateKey() ?? throw new InvalidOperationException("not an ECDSA certificate with a private key");
        var certificatePem = certificate.ExportCertificatePem();
        var keyPem = key.ExportPkcs8PrivateKeyPem();
        if (keyPath is null)
        {
            File.WriteAllText(certificatePath, certificatePem + "\n" + keyPem + "\n");
        }
        else
        {
            File.WriteAllText(certificatePath, certificatePem + "\n");
            File.WriteAllText(keyPath, keyPem + "\n");
        }
    }

    private static CertificateRequest NodeRequest(string subject, ECDsa key)
    {
        var request = new CertificateRequest($"CN={subject}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], critical: false)); // server and client authentication
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(subject);
        request.CertificateExtensions.Add(names.Build());
        return request;
    }
}
