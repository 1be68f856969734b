using System.Net.Http;
using Appliance.Proxy;
using k8s;

namespace Appliance.Clusters.Downstream;

/// <summary>
/// A KubernetesClient for one downstream cluster that connects through an <see cref="IUpstreamDialer"/>:
/// a stream in the agent's tunnel, or the direct TLS connection. Both dialers hand over a stream that
/// already speaks to the API (TLS, if any, is theirs), so the client talks plain HTTP/1.1 over it.
/// </summary>
public static class DownstreamClient
{
    /// <summary>The client's notional address: never resolved, every connection comes from the dialer.</summary>
    private const string Host = "http://downstream.cluster.invalid";

    public static Kubernetes Create(IUpstreamDialer dialer, string bearerToken, TimeSpan timeout)
    {
        var config = new KubernetesClientConfiguration
        {
            Host = Host,
            AccessToken = bearerToken,
            HttpClientTimeout = timeout,
            DisableHttp2 = true,
            FirstMessageHandlerSetup = handler =>
            {
                if (handler is SocketsHttpHandler sockets)
                {
                    sockets.ConnectCallback = async (_, cancellationToken) => await dialer.ConnectAsync(cancellationToken).ConfigureAwait(false);
                    // Tunnel streams die with their agent; a short idle lifetime keeps few of them parked.
                    sockets.PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30);
                }
            },
        };
        return new Kubernetes(config, new BufferedResponseHandler());
    }
}
