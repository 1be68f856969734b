using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Appliance.Clusters.Downstream;
using k8s;

namespace Appliance.Clusters.Agent;

/// <summary>
/// The agent's view of its cluster's kube-apiserver: a KubernetesClient for its own calls (TokenRequest),
/// and raw TLS connections for the server's proxied streams. Those connections present no client
/// certificate: every request on them carries the server's chosen bearer token, never the agent's identity.
/// </summary>
public sealed class DownstreamApi
{
    private const string ServiceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount";

    private readonly KubernetesClientConfiguration _config;

    private DownstreamApi(KubernetesClientConfiguration config)
    {
        _config = config;
        Endpoint = new Uri(config.Host);
    }

    public Uri Endpoint { get; }

    /// <summary>From a kubeconfig file, or from the pod's service account when <paramref name="kubeconfigPath"/> is null.</summary>
    public static DownstreamApi Load(string? kubeconfigPath)
    {
        if (kubeconfigPath is not null)
        {
            return new DownstreamApi(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfigPath));
        }

        string? host = Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST");
        string? port = Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_PORT");
        if (string.IsNullOrEmpty(host) || string.IsNullOrEmpty(port))
        {
            throw new InvalidOperationException("not running in a cluster (KUBERNETES_SERVICE_HOST is not set): give --kubeconfig");
        }

        var ca = new X509Certificate2Collection();
        ca.ImportFromPemFile(Path.Combine(ServiceAccountDirectory, "ca.crt"));
        return new DownstreamApi(new KubernetesClientConfiguration
        {
            Host = new UriBuilder("https", host, int.Parse(port, System.Globalization.CultureInfo.InvariantCulture)).Uri.ToString(),
            SslCaCerts = ca,
            // Read again for every client: the kubelet rotates the projected token.
            AccessToken = File.ReadAllText(Path.Combine(ServiceAccountDirectory, "token")).Trim(),
            Namespace = File.ReadAllText(Path.Combine(ServiceAccountDirectory, "namespace")).Trim(),
        });
    }

    /// <summary>A client with the agent's own credentials.</summary>
    public Kubernetes CreateClient() => new(_config, new BufferedResponseHandler());

    /// <summary>A TLS connection to the API, verified against the cluster's CA (or the system's, if the kubeconfig names none).</summary>
    public async Task<Stream> ConnectAsync(CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(Endpoint.Host, Endpoint.Port, cancellationToken).ConfigureAwait(false);
            var tls = new SslStream(new NetworkStream(socket, ownsSocket: true));
            var options = new SslClientAuthenticationOptions
            {
                TargetHost = _config.TlsServerName ?? Endpoint.IdnHost,
                ApplicationProtocols = [SslApplicationProtocol.Http11],
            };
            if (_config.SkipTlsVerify)
            {
                options.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
            }
            else if (_config.SslCaCerts is { Count: > 0 } ca)
            {
                options.CertificateChainPolicy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
                options.CertificateChainPolicy.CustomTrustStore.AddRange(ca);
            }

            await tls.AuthenticateAsClientAsync(options, cancellationToken).ConfigureAwait(false);
            return tls;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
