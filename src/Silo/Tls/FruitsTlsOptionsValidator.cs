using Microsoft.Extensions.Options;

namespace Fruits.Silo.Tls;

/// <summary>Refuses, when the host is built, TLS settings that cannot work, naming the setting.</summary>
public sealed class FruitsTlsOptionsValidator : IValidateOptions<FruitsTlsOptions>
{
    public ValidateOptionsResult Validate(string? name, FruitsTlsOptions options)
    {
        var problems = new List<string>();
        var section = FruitsTlsOptions.Section;
        if (!options.Enabled)
        {
            foreach (var (key, value) in new[]
            {
                (nameof(FruitsTlsOptions.KeyPath), options.KeyPath),
                (nameof(FruitsTlsOptions.TrustedCaPath), options.TrustedCaPath),
                (nameof(FruitsTlsOptions.TrustedCaPem), options.TrustedCaPem),
                (nameof(FruitsTlsOptions.TrustedThumbprints), options.TrustedThumbprints),
            })
            {
                if (!string.IsNullOrWhiteSpace(value))
                {
                    // A half-configured TLS would silently run in plain text.
                    problems.Add($"{section}:{key} is set but no certificate is ({section}:{nameof(FruitsTlsOptions.CertificatePath)} or {nameof(FruitsTlsOptions.CertificatePem)}); TLS needs this node's certificate");
                }
            }

            if (options.AllowAnyRemoteCertificate)
            {
                problems.Add($"{section}:{nameof(FruitsTlsOptions.AllowAnyRemoteCertificate)} is set but no certificate is ({section}:{nameof(FruitsTlsOptions.CertificatePath)} or {nameof(FruitsTlsOptions.CertificatePem)})");
            }

            return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
        }

        if (!string.IsNullOrWhiteSpace(options.CertificatePath) && !string.IsNullOrWhiteSpace(options.CertificatePem))
        {
            problems.Add($"{section}:{nameof(FruitsTlsOptions.CertificatePath)} and {section}:{nameof(FruitsTlsOptions.CertificatePem)} are both set; give one");
        }
        else if (!string.IsNullOrWhiteSpace(options.CertificatePath))
        {
            RequireFile(problems, nameof(FruitsTlsOptions.CertificatePath), options.CertificatePath);
        }
        else if (!string.IsNullOrWhiteSpace(options.KeyPath))
        {
            problems.Add($"{section}:{nameof(FruitsTlsOptions.KeyPath)} goes with {section}:{nameof(FruitsTlsOptions.CertificatePath)}; {nameof(FruitsTlsOptions.CertificatePem)} holds its key itself");
        }

        if (!string.IsNullOrWhiteSpace(options.TrustedCaPath) && !string.IsNullOrWhiteSpace(options.TrustedCaPem))
        {
            problems.Add($"{section}:{nameof(FruitsTlsOptions.TrustedCaPath)} and {section}:{nameof(FruitsTlsOptions.TrustedCaPem)} are both set; give one");
        }

        if (!string.IsNullOrWhiteSpace(options.CertificatePath) && !string.IsNullOrWhiteSpace(options.KeyPath))
        {
            RequireFile(problems, nameof(FruitsTlsOptions.KeyPath), options.KeyPath);
        }

        if (!string.IsNullOrWhiteSpace(options.TrustedCaPath))
        {
            RequireFile(problems, nameof(FruitsTlsOptions.TrustedCaPath), options.TrustedCaPath);
        }

        foreach (var thumbprint in options.ThumbprintList())
        {
            if (thumbprint.Length is not (40 or 64) || !thumbprint.All(char.IsAsciiHexDigit))
            {
                problems.Add($"{section}:{nameof(FruitsTlsOptions.TrustedThumbprints)}: '{thumbprint}' is not a SHA-1 (40 hex digits) or SHA-256 (64 hex digits) thumbprint");
            }
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    private static void RequireFile(List<string> problems, string key, string path)
    {
        if (!File.Exists(path))
        {
            problems.Add($"{FruitsTlsOptions.Section}:{key}: file '{path}' not found");
        }
    }
}
