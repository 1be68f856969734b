namespace Appliance.Proxy;

/// <summary>Limits and timeouts of the proxy; every wait it makes is bounded by one of these.</summary>
public sealed class ProxyOptions
{
    /// <summary>Kestrel's RequestHeadersTimeout: a request head must arrive whole within this (slowloris).</summary>
    public static readonly TimeSpan DefaultRequestHeadersTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Kestrel's KeepAliveTimeout: an idle connection between requests is closed after this.</summary>
    public static readonly TimeSpan DefaultKeepAliveTimeout = TimeSpan.FromSeconds(130);

    /// <summary>TCP and TLS handshake to a cluster's API server.</summary>
    public static readonly TimeSpan DefaultUpstreamConnectTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// From the request sent to the response head received. kube-apiserver answers within its own 60 s
    /// request timeout (watches answer their head at once), so a head later than this means a stuck upstream.
    /// </summary>
    public static readonly TimeSpan DefaultUpstreamResponseHeadersTimeout = TimeSpan.FromSeconds(75);

    /// <summary>A client that stops sending a request body it announced; kubectl sends bodies in one go.</summary>
    public static readonly TimeSpan DefaultRequestBodyIdleTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Below kube-apiserver's 90 s idle timeout for keep-alive connections, so the proxy drops a pooled
    /// connection before the upstream does and a request rarely meets a connection closing under it.
    /// </summary>
    public static readonly TimeSpan DefaultPooledConnectionIdleTimeout = TimeSpan.FromSeconds(60);

    public const int DefaultMaxPooledConnectionsPerCluster = 32;

    public const int DefaultAuditQueueCapacity = 1024;

    public TimeSpan RequestHeadersTimeout { get; set; } = DefaultRequestHeadersTimeout;

    public TimeSpan KeepAliveTimeout { get; set; } = DefaultKeepAliveTimeout;

    public TimeSpan UpstreamConnectTimeout { get; set; } = DefaultUpstreamConnectTimeout;

    public TimeSpan UpstreamResponseHeadersTimeout { get; set; } = DefaultUpstreamResponseHeadersTimeout;

    public TimeSpan RequestBodyIdleTimeout { get; set; } = DefaultRequestBodyIdleTimeout;

    /// <summary>
    /// Idle keep-alive connections kept per cluster for new client connections. A client connection keeps its
    /// upstream connection between its own requests and returns it here when it ends, so this bounds what idle
    /// clusters hold, not concurrency.
    /// </summary>
    public int MaxPooledConnectionsPerCluster { get; set; } = DefaultMaxPooledConnectionsPerCluster;

    public TimeSpan PooledConnectionIdleTimeout { get; set; } = DefaultPooledConnectionIdleTimeout;

    /// <summary>Audit lines waiting for the sink; beyond this they are dropped and counted, never waited for.</summary>
    public int AuditQueueCapacity { get; set; } = DefaultAuditQueueCapacity;

    /// <summary>The clock of every timeout above (a fake one in tests).</summary>
    /// <remarks>
    /// Response bodies (watch, logs -f) and upgraded streams (exec, port-forward) have no idle timeout: a watch
    /// on a quiet namespace legitimately sends nothing for many minutes. A dead peer there is found by the
    /// socket's TCP keep-alive, which <see cref="DirectUpstreamDialer"/> turns on, or by the client leaving.
    /// </remarks>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Throws when a value is out of range; called once at start-up.</summary>
    public void Validate()
    {
        RequirePositive(RequestHeadersTimeout, nameof(RequestHeadersTimeout));
        RequirePositive(KeepAliveTimeout, nameof(KeepAliveTimeout));
        RequirePositive(UpstreamConnectTimeout, nameof(UpstreamConnectTimeout));
        RequirePositive(UpstreamResponseHeadersTimeout, nameof(UpstreamResponseHeadersTimeout));
        RequirePositive(RequestBodyIdleTimeout, nameof(RequestBodyIdleTimeout));
        RequirePositive(PooledConnectionIdleTimeout, nameof(PooledConnectionIdleTimeout));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxPooledConnectionsPerCluster, nameof(MaxPooledConnectionsPerCluster));
        ArgumentOutOfRangeException.ThrowIfLessThan(AuditQueueCapacity, 1, nameof(AuditQueueCapacity));
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
    }

    private static void RequirePositive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero || value == Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(name, value, "must be a positive, finite time");
        }
    }
}
