namespace Appliance.Proxy;

/// <summary>
/// The auth layer as the proxy sees it. Called once per proxied request, on the hot path: put a bounded
/// cache in front of the store (keyed by the credential bytes, so a hit allocates nothing) and return a
/// completed <see cref="ValueTask{TResult}"/> on a hit. Revocation and expiry must reach the cache within
/// 1 s (issue 6).
/// </summary>
public interface IProxyAuthenticator
{
    /// <summary>Resolves the caller from its credential and decides whether it may use the cluster.</summary>
    /// <param name="scheme">Where the credential came from.</param>
    /// <param name="credential">
    /// <c>token-xxxxx:secret</c> as the client sent it (for <see cref="ProxyCredentialScheme.Basic"/>, the decoded
    /// <c>name:secret</c>). Valid only until the returned task completes: copy it to keep it.
    /// </param>
    /// <param name="clusterId">The cluster id from the path (lower-case RFC 1123 characters), valid likewise.</param>
    /// <param name="cancellationToken">Fires when the client goes away.</param>
    ValueTask<ProxyAuthResult> AuthenticateAsync(
        ProxyCredentialScheme scheme,
        ReadOnlyMemory<byte> credential,
        ReadOnlyMemory<byte> clusterId,
        CancellationToken cancellationToken);
}

/// <summary>Where the credential was found; the proxy prefers Authorization over the cookie, as Rancher does.</summary>
public enum ProxyCredentialScheme
{
    /// <summary><c>Authorization: Bearer token-xxxxx:secret</c>.</summary>
    Bearer,

    /// <summary><c>Authorization: Basic base64(token-xxxxx:secret)</c>.</summary>
    Basic,

    /// <summary>
    /// The UI's session cookie, <c>R_SESS=token-xxxxx:secret</c>; a state-changing request made with it also needs
    /// <c>X-API-CSRF</c> equal to the <c>CSRF</c> cookie (checked by the connection after authentication, as the API does).
    /// </summary>
    SessionCookie,
}

/// <summary>What the proxy answers.</summary>
public enum ProxyAuthOutcome
{
    /// <summary>Forward as <see cref="ProxyAuthResult.Caller"/>.</summary>
    Allowed,

    /// <summary>401 with <c>WWW-Authenticate</c>: no such token, a wrong secret, expired or revoked.</summary>
    Unauthenticated,

    /// <summary>403 Kubernetes Status: a valid caller without a role on this cluster.</summary>
    Forbidden,
}

/// <summary>The authenticator's answer; a struct so a cache hit returns without allocating.</summary>
public readonly struct ProxyAuthResult
{
    private ProxyAuthResult(ProxyAuthOutcome outcome, ProxyCaller? caller)
    {
        Outcome = outcome;
        Caller = caller;
    }

    public ProxyAuthOutcome Outcome { get; }

    /// <summary>Set when <see cref="Outcome"/> is <see cref="ProxyAuthOutcome.Allowed"/> (and optionally for Forbidden, for the log).</summary>
    public ProxyCaller? Caller { get; }

    public static ProxyAuthResult Unauthenticated => new(ProxyAuthOutcome.Unauthenticated, null);

    public static ProxyAuthResult Allowed(ProxyCaller caller)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return new(ProxyAuthOutcome.Allowed, caller);
    }

    public static ProxyAuthResult Forbidden(ProxyCaller? caller = null) => new(ProxyAuthOutcome.Forbidden, caller);
}
