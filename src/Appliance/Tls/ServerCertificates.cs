using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace Appliance.Tls;

/// <summary>
/// The server's own CA and the serving certificate it signs, kept as PEM files in the data dir's
/// <c>tls/</c> folder. The CA is created once and never replaced behind the user's back (every
/// kubeconfig trusts it); the serving certificate is reissued when a requested name is missing or
/// it nears expiry, as k3s does.
/// </summary>
public sealed class ServerCertificates
{
    private static readonly TimeSpan CaLifetime = TimeSpan.FromDays(3650);
    private static readonly TimeSpan ServingLifetime = TimeSpan.FromDays(365);
    // k3s renews 90 days before expiry; so do we, at start-up.
    private static readonly TimeSpan RenewBefore = TimeSpan.FromDays(90);
    // Clocks of clients and servers drift; a certificate valid "from now" fails on a machine a few minutes behind.
    private static readonly TimeSpan Backdate = TimeSpan.FromHours(1);

    private ServerCertificates(X509Certificate2 servingCertificate, string certificateAuthorityPath)
    {
        ServingCertificate = servingCertificate;
        CertificateAuthorityPath = certificateAuthorityPath;
    }

    /// <summary>The serving certificate with its private key, for Kestrel.</summary>
    public X509Certificate2 ServingCertificate { get; }

    public string CertificateAuthorityPath { get; }

    /// <summary>
    /// TLS settings for the listener (HTTP/1.1 by ALPN). Building the certificate context
    /// loads the system trust store, the slowest step of start-up, so it runs beside the rest of it;
    /// the first handshake waits for it.
    /// </summary>
    public Task<SslServerAuthenticationOptions> CreateServerTlsOptionsAsync() => Task.Run(() => new SslServerAuthenticationOptions
    {
        ServerCertificateContext = SslStreamCertificateContext.Create(ServingCertificate, additionalCertificates: null, offline: true),
        // HTTP/1.1 only: the auth proxy on this port speaks HTTP/1.1 on pipelines (Appliance.Proxy), and
        // kubectl would pick h2 for /k8s/clusters/ if it were offered. kube clients work the same over 1.1.
        ApplicationProtocols = [SslApplicationProtocol.Http11],
    });

    /// <summary>The names every serving certificate carries: this host, the loopback addresses, and the caller's extras.</summary>
    public static IReadOnlyList<string> DefaultSubjectAlternativeNames(IEnumerable<string> extra)
    {
        var names = new List<string> { Dns.GetHostName().ToLowerInvariant(), "localhost", "127.0.0.1", "::1" };
        foreach (string name in extra)
        {
            if (!names.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                names.Add(name);
            }
        }

        return names;
    }

    public static ServerCertificates LoadOrCreate(string directory, IReadOnlyList<string> subjectAlternativeNames, TimeProvider time, ILogger logger)
    {
        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var ca = new PemPair(directory, "ca");
        var serving = new PemPair(directory, "serving");
        DateTimeOffset now = time.GetUtcNow();

        // The CA's private key is needed only here, to sign; it does not outlive this call.
        using X509Certificate2 caCertificate = ca.Exists ? ca.Load() : CreateAndSaveCertificateAuthority(ca, now, logger);

        X509Certificate2? servingCertificate = serving.Exists ? serving.Load() : null;
        string? reason = servingCertificate is null ? "none yet" : WhyReissue(servingCertificate, caCertificate, subjectAlternativeNames, now);
        if (reason is not null)
        {
            servingCertificate?.Dispose();
            servingCertificate = CreateServingCertificate(caCertificate, subjectAlternativeNames, now);
            serving.Save(servingCertificate);
            Log.ServingCertificateIssued(logger, string.Join(", ", subjectAlternativeNames), reason);
        }

        return new ServerCertificates(servingCertificate!, ca.CertificatePath);
    }

    private static X509Certificate2 CreateAndSaveCertificateAuthority(PemPair ca, DateTimeOffset now, ILogger logger)
    {
        X509Certificate2 certificate = CreateCertificateAuthority(now);
        ca.Save(certificate);
        Log.CertificateAuthorityCreated(logger, ca.CertificatePath, certificate.Thumbprint);
        return certificate;
    }

    private static string? WhyReissue(X509Certificate2 serving, X509Certificate2 ca, IReadOnlyList<string> names, DateTimeOffset now)
    {
        if (serving.NotAfter.ToUniversalTime() - now.UtcDateTime < RenewBefore)
        {
            return "expiring";
        }

        // Issued by this CA: same issuer name and authority key id as the CA's subject key id. An
        // X509Chain would check the signature too, but loading the system trust store to build one
        // costs more than the rest of start-up; the files are our own, this catches a swapped CA.
        X509AuthorityKeyIdentifierExtension? authority = null;
        X509SubjectKeyIdentifierExtension? subject = null;
        foreach (X509Extension extension in serving.Extensions)
        {
            authority ??= extension as X509AuthorityKeyIdentifierExtension;
        }

        foreach (X509Extension extension in ca.Extensions)
        {
            subject ??= extension as X509SubjectKeyIdentifierExtension;
        }

        if (serving.IssuerName.RawData.AsSpan().SequenceEqual(ca.SubjectName.RawData) is false
            || authority?.KeyIdentifier is not { } keyId || subject is null
            || !keyId.Span.SequenceEqual(subject.SubjectKeyIdentifierBytes.Span))
        {
            return "not issued by the current CA";
        }

        var present = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (X509Extension extension in serving.Extensions)
        {
            if (extension is X509SubjectAlternativeNameExtension san)
            {
                foreach (string dns in san.EnumerateDnsNames())
                {
                    present.Add(dns);
                }

                foreach (IPAddress ip in san.EnumerateIPAddresses())
                {
                    present.Add(ip.ToString());
                }
            }
        }

        foreach (string name in names)
        {
            if (!present.Contains(IPAddress.TryParse(name, out IPAddress? ip) ? ip.ToString() : name))
            {
                return $"missing {name}";
            }
        }

        return null;
    }

    private static X509Certificate2 CreateCertificateAuthority(DateTimeOffset now)
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        // A unique CA name per installation, as k3s does ("k3s-server-ca@<unix time>"), so two
        // appliances' CAs are never confused in a trust store.
        var request = new CertificateRequest($"CN=appliance-ca@{now.ToUnixTimeSeconds()}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(now - Backdate, now + CaLifetime);
    }

    private static X509Certificate2 CreateServingCertificate(X509Certificate2 ca, IReadOnlyList<string> names, DateTimeOffset now)
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=appliance", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1", "Server Authentication")], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        var sans = new SubjectAlternativeNameBuilder();
        foreach (string name in names)
        {
            if (IPAddress.TryParse(name, out IPAddress? ip))
            {
                sans.AddIpAddress(ip);
            }
            else
            {
                sans.AddDnsName(name);
            }
        }

        request.CertificateExtensions.Add(sans.Build());

        DateTimeOffset notAfter = now + ServingLifetime;
        if (notAfter > ca.NotAfter)
        {
            notAfter = ca.NotAfter;
        }

        byte[] serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F; // positive, as RFC 5280 section 4.1.2.2 requires
        using X509Certificate2 unsigned = request.Create(ca, now - Backdate, notAfter, serial);
        return unsigned.CopyWithPrivateKey(key);
    }

    /// <summary>A certificate and its key as <c>NAME.crt</c> and <c>NAME.key</c> (PKCS#8, owner-only).</summary>
    private readonly struct PemPair(string directory, string name)
    {
        public string CertificatePath { get; } = Path.Combine(directory, name + ".crt");

        public string KeyPath { get; } = Path.Combine(directory, name + ".key");

        public bool Exists
        {
            get
            {
                bool certificate = File.Exists(CertificatePath);
                bool key = File.Exists(KeyPath);
                if (certificate != key)
                {
                    throw new InvalidOperationException(
                        $"{(certificate ? CertificatePath : KeyPath)} exists without {(certificate ? KeyPath : CertificatePath)}: restore both files or remove both.");
                }

                return certificate;
            }
        }

        public X509Certificate2 Load()
        {
            try
            {
                return X509Certificate2.CreateFromPemFile(CertificatePath, KeyPath);
            }
            catch (CryptographicException e)
            {
                throw new InvalidOperationException($"cannot load {CertificatePath} with {KeyPath}: {e.Message}", e);
            }
        }

        public void Save(X509Certificate2 certificate)
        {
            using ECDsa key = certificate.GetECDsaPrivateKey() ?? throw new InvalidOperationException("certificate has no ECDSA private key");
            // Key first: a crash between the two writes leaves a key without a certificate, which Exists reports clearly.
            WriteAtomically(KeyPath, key.ExportPkcs8PrivateKeyPem());
            WriteAtomically(CertificatePath, certificate.ExportCertificatePem());
        }

        private static void WriteAtomically(string path, string contents)
        {
            string temporary = path + ".tmp";
            var options = new FileStreamOptions
            {
                Mode = FileMode.Create,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            };
            using (var stream = new FileStream(temporary, options))
            using (var writer = new StreamWriter(stream))
            {
                writer.Write(contents);
                writer.Flush();
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
    }
}
