using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Fruits.Silo.Tls;

/// <summary>Reads the certificates <see cref="FruitsTlsOptions"/> names, failing with the setting and file in the message.</summary>
public static class TlsCertificateLoader
{
    /// <summary>This node's certificate with its private key, from a PKCS#12 or PEM file, or from PEM text.</summary>
    public static X509Certificate2 LoadNodeCertificate(FruitsTlsOptions options)
    {
        var fromText = string.IsNullOrWhiteSpace(options.CertificatePath);
        // The PEM text is a secret: messages name the setting, never its value.
        var source = fromText
            ? $"{FruitsTlsOptions.Section}:{nameof(FruitsTlsOptions.CertificatePem)}"
            : $"{FruitsTlsOptions.Section}:{nameof(FruitsTlsOptions.CertificatePath)} '{options.CertificatePath}'";
        X509Certificate2 certificate;
        try
        {
            certificate = fromText ? LoadPemText(options)
                : IsPem(options.CertificatePath) ? LoadPemFile(options)
                : X509CertificateLoader.LoadPkcs12FromFile(options.CertificatePath, NullIfEmpty(options.Password));
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new InvalidOperationException($"{source} cannot be loaded: {e.Message.ReplaceLineEndings(" ")}", e);
        }

        if (!certificate.HasPrivateKey)
        {
            certificate.Dispose();
            throw new InvalidOperationException(
                $"{source} holds no private key (set {FruitsTlsOptions.Section}:{nameof(FruitsTlsOptions.KeyPath)} for a key in a file of its own)");
        }

        return certificate;
    }

    /// <summary>The authorities of <see cref="FruitsTlsOptions.TrustedCaPath"/>; empty when none is configured.</summary>
    public static X509Certificate2Collection LoadAuthorities(FruitsTlsOptions options)
    {
        var authorities = new X509Certificate2Collection();
        var fromText = string.IsNullOrWhiteSpace(options.TrustedCaPath);
        if (fromText && string.IsNullOrWhiteSpace(options.TrustedCaPem))
        {
            return authorities;
        }

        var source = fromText
            ? $"{FruitsTlsOptions.Section}:{nameof(FruitsTlsOptions.TrustedCaPem)}"
            : $"{FruitsTlsOptions.Section}:{nameof(FruitsTlsOptions.TrustedCaPath)} '{options.TrustedCaPath}'";
        try
        {
            if (fromText)
            {
                authorities.ImportFromPem(options.TrustedCaPem);
            }
            else
            {
                authorities.ImportFromPemFile(options.TrustedCaPath);
            }
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"{source} cannot be loaded: {e.Message.ReplaceLineEndings(" ")}", e);
        }

        return authorities.Count > 0 ? authorities : throw new InvalidOperationException($"{source} holds no PEM certificate");
    }

    private static X509Certificate2 LoadPemFile(FruitsTlsOptions options)
    {
        var keyPath = NullIfEmpty(options.KeyPath);
        return string.IsNullOrEmpty(options.Password)
            ? X509Certificate2.CreateFromPemFile(options.CertificatePath, keyPath)
            : X509Certificate2.CreateFromEncryptedPemFile(options.CertificatePath, options.Password, keyPath);
    }

    /// <summary>One text holding both blocks: each reader takes the first block of its kind from it.</summary>
    private static X509Certificate2 LoadPemText(FruitsTlsOptions options) =>
        string.IsNullOrEmpty(options.Password)
            ? X509Certificate2.CreateFromPem(options.CertificatePem, options.CertificatePem)
            : X509Certificate2.CreateFromEncryptedPem(options.CertificatePem, options.CertificatePem, options.Password);

    private static bool IsPem(string path)
    {
        // PKCS#12 is binary DER; PEM is text that starts (after any comment lines) with a "-----BEGIN" block.
        using var reader = new StreamReader(path);
        var buffer = new char[4096];
        var read = reader.ReadBlock(buffer, 0, buffer.Length);
        return new string(buffer, 0, read).Contains("-----BEGIN ", StringComparison.Ordinal);
    }

    private static string? NullIfEmpty(string value) => string.IsNullOrEmpty(value) ? null : value;
}
