using System.Collections.Concurrent;
using System.Text;

namespace Appliance.Proxy.Tests.Integration;

/// <summary>
/// The auth layer's stand-in: a fixed table of tokens, each with a caller and the clusters it may use.
/// Lookups compare bytes, so the allocation test can use it as a cache hit.
/// </summary>
internal sealed class TestAuthenticator : IProxyAuthenticator
{
    public const string AliceToken = "token-alice:s3cr3t-alice-9f8e7d";
    public const string BobToken = "token-bob:s3cr3t-bob-1a2b3c";
    public const string RevokedToken = "token-gone:s3cr3t-gone-000000";

    private readonly List<(byte[] Token, ProxyCaller Caller, string[] Clusters)> _entries = [];

    public TestAuthenticator()
    {
        Add(AliceToken, "u-alice", "Alice Example", ["local://g-devs"], ["c1", "tls", "dead", "badca", "wrongname", "unknown-to-directory"]);
        Add(BobToken, "u-bob", "Bob", [], ["c1", "c2"]);
    }

    /// <summary>Every credential the proxy asked about, decoded, with its scheme.</summary>
    public ConcurrentQueue<(ProxyCredentialScheme Scheme, string Credential, string Cluster)> Calls { get; } = new();

    public bool Record { get; set; } = true;

    public static ProxyCaller CreateCaller(string userId, string displayName, string[] groups, string tokenId)
    {
        Assert.True(ProxyCaller.TryCreate(userId, displayName, "local://" + userId, tokenId, groups, out ProxyCaller? caller));
        return caller;
    }

    public ValueTask<ProxyAuthResult> AuthenticateAsync(ProxyCredentialScheme scheme, ReadOnlyMemory<byte> credential, ReadOnlyMemory<byte> clusterId, CancellationToken cancellationToken)
    {
        if (Record)
        {
            Calls.Enqueue((scheme, Encoding.Latin1.GetString(credential.Span), Encoding.Latin1.GetString(clusterId.Span)));
        }

        foreach ((byte[] token, ProxyCaller caller, string[] clusters) in _entries)
        {
            if (!credential.Span.SequenceEqual(token))
            {
                continue;
            }

            foreach (string cluster in clusters)
            {
                if (clusterId.Span.SequenceEqual(Encoding.ASCII.GetBytes(cluster)))
                {
                    return new(ProxyAuthResult.Allowed(caller));
                }
            }

            return new(ProxyAuthResult.Forbidden(caller));
        }

        return new(ProxyAuthResult.Unauthenticated);
    }

    private void Add(string token, string userId, string displayName, string[] groups, string[] clusters) =>
        _entries.Add((Encoding.ASCII.GetBytes(token), CreateCaller(userId, displayName, groups, token[..token.IndexOf(':', StringComparison.Ordinal)]), clusters));
}
