namespace Appliance.Proxy;

/// <summary>
/// What a header field means to the proxy, decided once per field by <see cref="HeaderNames.Classify"/>
/// so the parser, the rewriter and the fail-closed check all use one definition.
/// </summary>
internal enum HeaderKind : byte
{
    Other,
    Host,
    ContentLength,
    TransferEncoding,
    Connection,
    Upgrade,

    /// <summary>Keep-Alive, Proxy-Connection, Proxy-Authenticate, TE, Trailer, HTTP2-Settings (RFC 9110 section 7.6.1, plus the de-facto ones).</summary>
    HopByHop,

    /// <summary>Proxy-Authorization: hop-by-hop and credential-bearing.</summary>
    ProxyAuthorization,
    Authorization,

    /// <summary>
    /// Cookie: the browser session (a token of ours) travels in it; kube-apiserver authenticates no
    /// cookie, so nothing a client puts there has any use downstream and the session must not leak there.
    /// </summary>
    Cookie,

    /// <summary>Any name starting with <c>Impersonate-</c>, any case: User, Group, Uid, Extra-*.</summary>
    Impersonation,

    /// <summary>Any name starting with <c>X-Remote-</c>: the request-header authenticator's identity headers.</summary>
    RemoteIdentity,

    /// <summary>Sec-WebSocket-Protocol: kube-apiserver accepts a bearer token as a subprotocol entry.</summary>
    SecWebSocketProtocol,

    /// <summary>
    /// Expect: the proxy answers <c>100-continue</c> itself and sends the body right behind the head, so the
    /// upstream is not asked (its 100 would otherwise look like an early answer to a body still streaming).
    /// </summary>
    Expect,
}
