namespace Appliance.Proxy;

/// <summary>Why no upstream request head was written. Each fails the request closed (502 to the client, nothing sent upstream).</summary>
public enum RewriteError
{
    /// <summary>Written.</summary>
    None,

    /// <summary>
    /// The final check found an identity-bearing header (Impersonate-*, Authorization, Proxy-Authorization,
    /// X-Remote-*, Cookie, or a bearer subprotocol) outside the proxy's own block: a removal rule failed.
    /// </summary>
    ForeignIdentityHeader,

    /// <summary>The proxy's own block is not there exactly once (one Impersonate-User, one Authorization).</summary>
    IdentityBlockMismatch,
}
