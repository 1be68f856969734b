using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Appliance.Proxy;

/// <summary>Mounts the proxy on a Kestrel listener.</summary>
public static class ProxyListenOptionsExtensions
{
    /// <summary>
    /// Call after <c>UseHttps</c> (the proxy reads decrypted bytes) on a listener whose protocols are
    /// <c>HttpProtocols.Http1</c> (ALPN offers only http/1.1; see <see cref="ProxyConnectionMiddleware"/>).
    /// </summary>
    /// <remarks>
    /// Throughput is bound by the upstream socket hop, not by the proxy's own work (bench/proxy-load.sh: the
    /// proxy in front of an in-process upstream runs as fast as Kestrel answering by itself). The proxy never
    /// blocks, so running it on the socket threads pays: Kestrel's <c>UnsafePreferInlineScheduling</c> with
    /// <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1</c> measured ~26k -> ~40k req/s on 2 cores. A host choice.
    /// </remarks>
    public static ListenOptions UseApplianceProxy(this ListenOptions listenOptions, ProxyServer proxy)
    {
        ArgumentNullException.ThrowIfNull(listenOptions);
        ArgumentNullException.ThrowIfNull(proxy);
        listenOptions.Use(next => new ProxyConnectionMiddleware(next, proxy).OnConnectedAsync);
        return listenOptions;
    }
}
