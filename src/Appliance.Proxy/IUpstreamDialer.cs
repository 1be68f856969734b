namespace Appliance.Proxy;

/// <summary>
/// Opens a connection to one cluster's Kubernetes API: directly over TLS (<see cref="DirectUpstreamDialer"/>)
/// or, later, as a stream inside the cluster's agent tunnel. The proxy speaks HTTP/1.1 over the stream
/// and pools it for keep-alive.
/// </summary>
public interface IUpstreamDialer
{
    /// <summary>
    /// A connected, authenticated duplex stream. Throw on failure (the client gets 502, or 503 for
    /// <see cref="ClusterUnavailableException"/>); the proxy bounds the
    /// wait with <see cref="ProxyOptions.UpstreamConnectTimeout"/> through <paramref name="cancellationToken"/>.
    /// A stream that can close only its sending side (exec's half-close) implements <see cref="IHalfClosable"/>,
    /// unless it is an <see cref="System.Net.Security.SslStream"/> over a <see cref="System.Net.Sockets.NetworkStream"/>.
    /// </summary>
    ValueTask<Stream> ConnectAsync(CancellationToken cancellationToken);
}

/// <summary>
/// The cluster cannot be reached at all right now (its agent is not connected): the client gets 503, which
/// kubectl reports at once and retries later, rather than a 502 that reads like a broken cluster.
/// </summary>
public sealed class ClusterUnavailableException(string message) : IOException(message);

/// <summary>
/// A stream that knows without blocking whether it is still usable, so a pooled connection over it is not
/// rented after its transport ended (a tunnel stream whose agent went away).
/// </summary>
public interface IProbedStream
{
    bool LooksAlive { get; }
}

/// <summary>A stream that can end its sending direction and keep receiving (TCP's shutdown(SHUT_WR)).</summary>
public interface IHalfClosable
{
    ValueTask ShutdownWriteAsync();
}

/// <summary>Finds the cluster a request names.</summary>
public interface IClusterDirectory
{
    /// <summary>
    /// The cluster with this id (UTF-8 bytes of a lower-case RFC 1123 name), or false (the client gets 404).
    /// Called once per request: look up without allocating (see <see cref="ClusterDirectory"/>).
    /// </summary>
    bool TryGetCluster(ReadOnlySpan<byte> clusterId, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ClusterUpstream? cluster);
}
