using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Appliance.Proxy;

/// <summary>
/// TLS straight to a cluster's API endpoint, trusting only the cluster's own CA bundle (as the cluster's
/// kubeconfig would), never the machine's roots, with the host name checked against the certificate.
/// </summary>
public sealed class DirectUpstreamDialer : IUpstreamDialer
{
    private static readonly List<SslApplicationProtocol> Http11Only = [SslApplicationProtocol.Http11];

    private readonly string _host;
    private readonly int _port;
    private readonly X509Certificate2Collection _trustedRoots;

    /// <param name="host">A DNS name or IP literal, as in the cluster's API URL; also the name the certificate must carry.</param>
    /// <param name="port">The API port, usually 6443.</param>
    /// <param name="trustedRoots">The cluster's CA bundle (PEM <c>certificate-authority-data</c>).</param>
    public DirectUpstreamDialer(string host, int port, X509Certificate2Collection trustedRoots)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        ArgumentNullException.ThrowIfNull(trustedRoots);
        if (trustedRoots.Count == 0)
        {
            throw new ArgumentException("A cluster's CA bundle is required: the machine's roots are never trusted for a cluster.", nameof(trustedRoots));
        }

        _host = host;
        _port = port;
        _trustedRoots = trustedRoots;
    }

    /// <summary>Reads the CA bundle from PEM text (one or more certificates).</summary>
    public static DirectUpstreamDialer FromPem(string host, int port, string caBundlePem)
    {
        var roots = new X509Certificate2Collection();
        roots.ImportFromPem(caBundlePem);
        return new DirectUpstreamDialer(host, port, roots);
    }

    public async ValueTask<Stream> ConnectAsync(CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        DirectUpstreamStream? ssl = null;
        try
        {
            // Watches and exec sessions can be silent for a long time; keep-alive is what finds a dead peer there.
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, 30);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, 10);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, 3);
            await socket.ConnectAsync(_host, _port, cancellationToken).ConfigureAwait(false);

            ssl = new DirectUpstreamStream(socket);
            var chainPolicy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                RevocationMode = X509RevocationMode.NoCheck,
            };
            chainPolicy.CustomTrustStore.AddRange(_trustedRoots);
            await ssl.AuthenticateAsClientAsync(
                new SslClientAuthenticationOptions
                {
                    TargetHost = _host,
                    ApplicationProtocols = Http11Only,
                    EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                    CertificateChainPolicy = chainPolicy,
                    CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                },
                cancellationToken).ConfigureAwait(false);
            return ssl;
        }
        catch
        {
            if (ssl is not null)
            {
                await ssl.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                socket.Dispose();
            }

            throw;
        }
    }
}
