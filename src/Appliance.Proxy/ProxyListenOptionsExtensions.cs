using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Appliance.Proxy;

/// <summary>Mounts the proxy on a Kestrel listener.</summary>
public static class ProxyListenOptionsExtensions
{
    /// <summary>
    /// Call after <c>UseHttps</c> (the proxy reads decrypted bytes) on a listener whose protocols are
    /// <c>HttpProtocols.Http1</c> (ALPN offers only http/1.1; see <see cref="ProxyConnectionMiddleware"/>).
    /// </summary>
    /// <remarks>Schedule the host's sockets with <see cref="SocketThreadScheduling"/>: the proxy is faster on the socket threads.</remarks>
    public static ListenOptions UseApplianceProxy(this ListenOptions listenOptions, ProxyServer proxy)
    {
        ArgumentNullException.ThrowIfNull(listenOptions);
        ArgumentNullException.ThrowIfNull(proxy);
        listenOptions.Use(next => new ProxyConnectionMiddleware(next, proxy).OnConnectedAsync);
        return listenOptions;
    }
}
