namespace Appliance.Proxy;

/// <summary>
/// One downstream cluster as the proxy reaches it: how to dial it, the Host and Authorization lines of its
/// impersonator service account, and its pool of idle keep-alive connections.
/// </summary>
public sealed class ClusterUpstream : IDisposable
{
    private volatile UpstreamHeaders _headers;

    /// <summary>Throws <see cref="ArgumentException"/> for an authority or token that cannot be a header value.</summary>
    /// <param name="clusterId">The id in <c>/k8s/clusters/{id}</c>.</param>
    /// <param name="dialer">Opens connections to the cluster's API.</param>
    /// <param name="authority">The upstream <c>Host</c>, e.g. <c>10.0.0.5:6443</c>.</param>
    /// <param name="bearerToken">The impersonator service account's token.</param>
    /// <param name="maxIdleConnections">Idle keep-alive connections kept (see <see cref="ProxyOptions.MaxPooledConnectionsPerCluster"/>).</param>
    /// <param name="idleTimeout">How long an idle connection is kept (see <see cref="ProxyOptions.PooledConnectionIdleTimeout"/>).</param>
    /// <param name="timeProvider">The clock of the idle timeout.</param>
    public ClusterUpstream(
        string clusterId,
        IUpstreamDialer dialer,
        string authority,
        string bearerToken,
        int maxIdleConnections = ProxyOptions.DefaultMaxPooledConnectionsPerCluster,
        TimeSpan? idleTimeout = null,
        TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(clusterId);
        ArgumentNullException.ThrowIfNull(dialer);
        ClusterId = clusterId;
        Dialer = dialer;
        _headers = CreateHeaders(authority, bearerToken);
        Pool = new UpstreamConnectionPool(maxIdleConnections, idleTimeout ?? ProxyOptions.DefaultPooledConnectionIdleTimeout, timeProvider ?? TimeProvider.System);
    }

    public string ClusterId { get; }

    public IUpstreamDialer Dialer { get; }

    internal UpstreamHeaders Headers => _headers;

    internal UpstreamConnectionPool Pool { get; }

    /// <summary>
    /// Swaps in a refreshed service-account token (TokenRequest tokens are short-lived). Requests already
    /// written keep the old one; the next request uses the new one.
    /// </summary>
    public void UpdateCredentials(string authority, string bearerToken) => _headers = CreateHeaders(authority, bearerToken);

    /// <summary>Closes the idle connections; call when the cluster is removed or its endpoint changes.</summary>
    public void Dispose() => Pool.Dispose();

    private static UpstreamHeaders CreateHeaders(string authority, string bearerToken)
    {
        if (!UpstreamHeaders.TryCreate(authority, bearerToken, out UpstreamHeaders? headers))
        {
            throw new ArgumentException("The authority or the bearer token cannot be sent as a header value.", nameof(bearerToken));
        }

        return headers;
    }
}
