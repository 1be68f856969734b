using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Appliance.Auth;

namespace Appliance.Proxy;

/// <summary>
/// The proxy's <see cref="IProxyAuthenticator"/> over the auth layer: a token is resolved by
/// <see cref="TokenAuthenticator"/> (Token and User objects in the store) and the caller's access to the
/// cluster decided by <see cref="ClusterAccessCheck"/>; the answer is cached for at most
/// <see cref="CacheLifetime"/> (1 s), so a deleted Token, a disabled User or a removed binding takes effect
/// within a second while a busy client costs one store lookup per second, not one per request.
/// </summary>
/// <remarks>
/// The cache is keyed by token name and cluster, never by the secret: a hit still compares the presented
/// secret with the one the store verified, in constant time, so the cache cannot be used to test guesses
/// by timing. The verified secret stays in memory for at most a second, as it does in every request; it is
/// never logged. A hit allocates nothing.
/// </remarks>
public sealed class TokenProxyAuthenticator : IProxyAuthenticator
{
    public static readonly TimeSpan CacheLifetime = TimeSpan.FromSeconds(1);

    private const int MaxCredentialChars = 256;

    private readonly Lazy<TokenAuthenticator> _tokens;
    private readonly ClusterAccessCheck _mayUseCluster;
    private readonly TimeProvider _timeProvider;
    private readonly int _capacity;
    private readonly ConcurrentDictionary<string, Entry> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Entry>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    /// <param name="tokens">
    /// Resolves the token authenticator on first use: the proxy is mounted when Kestrel is configured, before
    /// the store it reads has opened.
    /// </param>
    /// <param name="mayUseCluster">The access decision, called on a cache miss.</param>
    /// <param name="timeProvider">The clock of the cache lifetime.</param>
    /// <param name="capacity">Entries kept at most.</param>
    public TokenProxyAuthenticator(Func<TokenAuthenticator> tokens, ClusterAccessCheck mayUseCluster, TimeProvider timeProvider, int capacity = 10_000)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _tokens = new Lazy<TokenAuthenticator>(tokens);
        _mayUseCluster = mayUseCluster;
        _timeProvider = timeProvider;
        _capacity = capacity;
        _lookup = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>Whether an authenticated user may reach a cluster (a global role, or a role binding in that cluster).</summary>
    public delegate bool ClusterAccessCheck(AuthenticatedUser user, string clusterId);

    public ValueTask<ProxyAuthResult> AuthenticateAsync(ProxyCredentialScheme scheme, ReadOnlyMemory<byte> credential, ReadOnlyMemory<byte> clusterId, CancellationToken cancellationToken)
    {
        ReadOnlySpan<byte> bytes = credential.Span;
        int colon = bytes.IndexOf((byte)':');
        if (colon <= 0 || bytes.Length > MaxCredentialChars || clusterId.Length > ClusterRoute.MaxClusterIdLength || !Ascii.IsValid(bytes))
        {
            return new ValueTask<ProxyAuthResult>(ProxyAuthResult.Unauthenticated);
        }

        // name + '/' + cluster: the cache key, never containing the secret.
        Span<char> key = stackalloc char[colon + 1 + clusterId.Length];
        Encoding.ASCII.GetChars(bytes[..colon], key);
        key[colon] = '/';
        Encoding.ASCII.GetChars(clusterId.Span, key[(colon + 1)..]);
        ReadOnlySpan<byte> secret = bytes[(colon + 1)..];
        long now = _timeProvider.GetTimestamp();
        if (_lookup.TryGetValue(key, out Entry? entry)
            && _timeProvider.GetElapsedTime(entry.CachedAt, now) < CacheLifetime
            && CryptographicOperations.FixedTimeEquals(secret, entry.Secret))
        {
            return new ValueTask<ProxyAuthResult>(entry.Result);
        }

        return new ValueTask<ProxyAuthResult>(Resolve(Encoding.ASCII.GetString(bytes), key.ToString(), secret.ToArray(), now));
    }

    /// <summary>The slow path: the store, the access check, a new cache entry (for allowed and forbidden alike).</summary>
    private ProxyAuthResult Resolve(string credential, string key, byte[] secret, long now)
    {
        if (_tokens.Value.Authenticate(credential, out AuthenticatedUser? user) != TokenAuthenticationStatus.Authenticated)
        {
            // Not cached, and the real holder's entry is left alone: a wrong guess cannot evict it.
            return ProxyAuthResult.Unauthenticated;
        }

        string clusterId = key[(key.IndexOf('/', StringComparison.Ordinal) + 1)..];
        ProxyAuthResult result;
        if (!ProxyCaller.TryCreate(user!.UserId, user.DisplayName, user.PrincipalIds.Count > 0 ? user.PrincipalIds[0] : "", user.TokenName, user.Groups, out ProxyCaller? caller))
        {
            // A name that cannot be sent as a header is refused, never mangled into someone else's.
            result = ProxyAuthResult.Forbidden();
        }
        else
        {
            result = _mayUseCluster(user, clusterId) ? ProxyAuthResult.Allowed(caller) : ProxyAuthResult.Forbidden(caller);
        }

        if (_cache.Count >= _capacity)
        {
            // Bounded: rather than track recency on the hot path, start over; live callers refill it in a second.
            _cache.Clear();
        }

        _cache[key] = new Entry(result, secret, now);
        return result;
    }

    private sealed record Entry(ProxyAuthResult Result, byte[] Secret, long CachedAt);
}
