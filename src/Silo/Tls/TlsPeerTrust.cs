using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Fruits.Silo.Tls;

/// <summary>
/// Whether a TLS peer is one of ours. The operating system's public roots play no part: any certificate a public
/// authority issued for any domain would otherwise be let into the cluster. A peer is trusted when its certificate is
/// within its validity period and is this node's own certificate, has a configured thumbprint, or chains up to a
/// configured authority.
/// </summary>
public sealed class TlsPeerTrust
{
    private readonly HashSet<string> _thumbprints;
    private readonly X509Certificate2Collection _authorities;

    public TlsPeerTrust(X509Certificate2 own, IEnumerable<string> thumbprints, X509Certificate2Collection authorities)
    {
        ArgumentNullException.ThrowIfNull(own);
        _thumbprints = new HashSet<string>(thumbprints, StringComparer.OrdinalIgnoreCase)
        {
            own.Thumbprint,
            own.GetCertHashString(HashAlgorithmName.SHA256),
        };
        _authorities = authorities;
    }

    /// <summary>For the TLS handshake's certificate callback; <paramref name="presented"/> supplies the peer's intermediates.</summary>
    public bool IsTrusted(X509Certificate2 peer, X509Chain? presented)
    {
        ArgumentNullException.ThrowIfNull(peer);
        var now = DateTime.Now;
        if (now < peer.NotBefore || now > peer.NotAfter)
        {
            return false;
        }

        if (_thumbprints.Contains(peer.Thumbprint) || _thumbprints.Contains(peer.GetCertHashString(HashAlgorithmName.SHA256)))
        {
            return true;
        }

        if (_authorities.Count == 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_authorities);
        // Private cluster authorities rarely publish revocation lists; rotation is by re-issuing and redeploying.
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        return chain.Build(peer);
    }
}
