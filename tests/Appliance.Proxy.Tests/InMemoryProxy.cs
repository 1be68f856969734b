using System.Text;
using Appliance.Proxy.Testing;

namespace Appliance.Proxy.Tests;

/// <summary>
/// The whole per-request path (parse, cached auth, route, rewrite, forward, relay) on in-memory pipes with
/// inline schedulers, so one request runs to completion synchronously on the calling thread: what
/// <see cref="GC.GetAllocatedBytesForCurrentThread"/> measures is exactly the proxy's work.
/// </summary>
internal static class InMemoryProxy
{
    public const string Token = "token-bench:2xw7mqq9c8x5pl4zvxk6r7wv5p2jdn9fnbmw";

    /// <summary>A proxy connection to cluster <c>c-m-abc12</c>, whose upstream answers every request with <paramref name="response"/>.</summary>
    public static InMemoryProxyConnection Create(byte[] response, ProxyOptions? options = null)
    {
        Assert.True(ProxyCaller.TryCreate("u-abc12", "Alice Example", "local://u-abc12", "token-bench", ["local://g-devs"], out ProxyCaller? caller));
        var clusters = new ClusterDirectory();
        clusters.Set(new ClusterUpstream("c-m-abc12", new InMemoryDialer(response), "10.0.0.5:6443", "eyJhbGciOiJSUzI1NiJ9.sa-token.c2ln"));
        var server = new ProxyServer(options ?? new ProxyOptions(), new StaticAuthenticator(Encoding.ASCII.GetBytes(Token), caller), clusters, new NullAuditSink());
        return new InMemoryProxyConnection(server);
    }
}
