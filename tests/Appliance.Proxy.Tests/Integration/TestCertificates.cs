using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Appliance.Proxy.Tests.Integration;

/// <summary>A test CA and leaf certificates for 127.0.0.1 / localhost, made in memory once per test run.</summary>
internal static class TestCertificates
{
    private static readonly Lazy<(X509Certificate2 Ca, X509Certificate2 Leaf)> Cluster = new(() => CreateChain("appliance-test-cluster-ca"));
    private static readonly Lazy<(X509Certificate2 Ca, X509Certificate2 Leaf)> Other = new(() => CreateChain("some-other-ca"));
    private static readonly Lazy<X509Certificate2> Server = new(() => CreateChain("appliance-test-server-ca").Leaf);
    private static readonly Lazy<(X509Certificate2 Ca, X509Certificate2 Leaf)> WrongName = new(() => CreateChain("wrong-name-ca", "not-this-host.example"));

    /// <summary>What the proxy host serves to clients (tests accept any certificate).</summary>
    public static X509Certificate2 ServerCertificate => Server.Value;

    public static X509Certificate2 ClusterCa => Cluster.Value.Ca;

    public static X509Certificate2 ClusterLeaf => Cluster.Value.Leaf;

    public static X509Certificate2 OtherCa => Other.Value.Ca;

    public static X509Certificate2 WrongNameCa => WrongName.Value.Ca;

    public static X509Certificate2 WrongNameLeaf => WrongName.Value.Leaf;

    private static (X509Certificate2 Ca, X509Certificate2 Leaf) CreateChain(string caName, string? leafName = null)
    {
        using ECDsa caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest($"CN={caName}", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        DateTimeOffset now = DateTimeOffset.UtcNow;
        X509Certificate2 ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));

        using ECDsa leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leafRequest = new CertificateRequest($"CN={leafName ?? "127.0.0.1"}", leafKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        if (leafName is null)
        {
            names.AddIpAddress(IPAddress.Loopback);
            names.AddDnsName("localhost");
        }
        else
        {
            names.AddDnsName(leafName);
        }

        leafRequest.CertificateExtensions.Add(names.Build());
        leafRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        leafRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using X509Certificate2 leafPublic = leafRequest.Create(ca, now.AddDays(-1), now.AddDays(29), [1, 2, 3, 4, 5, 6, 7, 8]);
        X509Certificate2 leaf = leafPublic.CopyWithPrivateKey(leafKey);

        // Round-trip through PFX so the key is usable by SslStream servers on every platform.
        X509Certificate2 usable = X509CertificateLoader.LoadPkcs12(leaf.Export(X509ContentType.Pkcs12), null);
        return (X509CertificateLoader.LoadCertificate(ca.RawData), usable);
    }
}
