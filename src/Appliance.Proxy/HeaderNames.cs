using System.Text;

namespace Appliance.Proxy;

/// <summary>Header names as bytes, and the one place a name is classified.</summary>
internal static class HeaderNames
{
    public static ReadOnlySpan<byte> Host => "Host"u8;
    public static ReadOnlySpan<byte> ContentLength => "Content-Length"u8;
    public static ReadOnlySpan<byte> TransferEncoding => "Transfer-Encoding"u8;
    public static ReadOnlySpan<byte> Connection => "Connection"u8;
    public static ReadOnlySpan<byte> Upgrade => "Upgrade"u8;
    public static ReadOnlySpan<byte> KeepAlive => "Keep-Alive"u8;
    public static ReadOnlySpan<byte> ProxyConnection => "Proxy-Connection"u8;
    public static ReadOnlySpan<byte> ProxyAuthenticate => "Proxy-Authenticate"u8;
    public static ReadOnlySpan<byte> ProxyAuthorization => "Proxy-Authorization"u8;
    public static ReadOnlySpan<byte> TE => "TE"u8;
    public static ReadOnlySpan<byte> Trailer => "Trailer"u8;
    public static ReadOnlySpan<byte> Authorization => "Authorization"u8;
    public static ReadOnlySpan<byte> Cookie => "Cookie"u8;
    public static ReadOnlySpan<byte> Expect => "Expect"u8;
    public static ReadOnlySpan<byte> Http2Settings => "HTTP2-Settings"u8;
    public static ReadOnlySpan<byte> SecWebSocketProtocol => "Sec-WebSocket-Protocol"u8;
    public static ReadOnlySpan<byte> ImpersonatePrefix => "Impersonate-"u8;
    public static ReadOnlySpan<byte> RemoteIdentityPrefix => "X-Remote-"u8;

    /// <summary>
    /// kube-apiserver's WebSocket authenticator takes a bearer token from a subprotocol entry with this
    /// prefix (k8s.io/apiserver pkg/authentication/request/websocket); a client's must never pass.
    /// </summary>
    public static ReadOnlySpan<byte> BearerSubprotocolPrefix => "base64url.bearer.authorization.k8s.io."u8;

    /// <summary>Field names are case-insensitive (RFC 9110 section 5.1); matched by length first.</summary>
    public static HeaderKind Classify(ReadOnlySpan<byte> name)
    {
        switch (name.Length)
        {
            case 2:
                return Ascii.EqualsIgnoreCase(name, TE) ? HeaderKind.HopByHop : HeaderKind.Other;
            case 4:
                return Ascii.EqualsIgnoreCase(name, Host) ? HeaderKind.Host : HeaderKind.Other;
            case 6:
                if (Ascii.EqualsIgnoreCase(name, Cookie))
                {
                    return HeaderKind.Cookie;
                }

                return Ascii.EqualsIgnoreCase(name, Expect) ? HeaderKind.Expect : HeaderKind.Other;
            case 7:
                if (Ascii.EqualsIgnoreCase(name, Upgrade))
                {
                    return HeaderKind.Upgrade;
                }

                return Ascii.EqualsIgnoreCase(name, Trailer) ? HeaderKind.HopByHop : HeaderKind.Other;
            case 10:
                if (Ascii.EqualsIgnoreCase(name, Connection))
                {
                    return HeaderKind.Connection;
                }

                if (Ascii.EqualsIgnoreCase(name, KeepAlive))
                {
                    return HeaderKind.HopByHop;
                }

                break;
            case 13:
                if (Ascii.EqualsIgnoreCase(name, Authorization))
                {
                    return HeaderKind.Authorization;
                }

                break;
            case 14:
                if (Ascii.EqualsIgnoreCase(name, ContentLength))
                {
                    return HeaderKind.ContentLength;
                }

                // Only meaningful with an h2c upgrade, which RFC 9113 section 3.1 deprecates and which never opens a tunnel here.
                if (Ascii.EqualsIgnoreCase(name, Http2Settings))
                {
                    return HeaderKind.HopByHop;
                }

                break;
            case 16:
                if (Ascii.EqualsIgnoreCase(name, ProxyConnection))
                {
                    return HeaderKind.HopByHop;
                }

                break;
            case 17:
                if (Ascii.EqualsIgnoreCase(name, TransferEncoding))
                {
                    return HeaderKind.TransferEncoding;
                }

                break;
            case 18:
                if (Ascii.EqualsIgnoreCase(name, ProxyAuthenticate))
                {
                    return HeaderKind.HopByHop;
                }

                break;
            case 19:
                if (Ascii.EqualsIgnoreCase(name, ProxyAuthorization))
                {
                    return HeaderKind.ProxyAuthorization;
                }

                break;
            case 22:
                if (Ascii.EqualsIgnoreCase(name, SecWebSocketProtocol))
                {
                    return HeaderKind.SecWebSocketProtocol;
                }

                break;
        }

        // Prefix families of any length, any case (Impersonate-Uid, Impersonate-Extra-*, X-Remote-Extra-*).
        // "_" counts as "-" here: Go does not fold them, but CGI-style servers and some proxies between us and
        // a downstream API server do, and no legitimate client sends these names with an underscore.
        if (StartsWithIdentityPrefix(name, ImpersonatePrefix))
        {
            return HeaderKind.Impersonation;
        }

        if (StartsWithIdentityPrefix(name, RemoteIdentityPrefix))
        {
            return HeaderKind.RemoteIdentity;
        }

        return HeaderKind.Other;
    }

    private static bool StartsWithIdentityPrefix(ReadOnlySpan<byte> name, ReadOnlySpan<byte> prefix)
    {
        if (name.Length < prefix.Length)
        {
            return false;
        }

        for (int i = 0; i < prefix.Length; i++)
        {
            byte actual = name[i];
            byte expected = prefix[i];
            if (expected == '-' ? actual != '-' && actual != '_' : (actual | 0x20) != (expected | 0x20))
            {
                return false;
            }
        }

        return true;
    }

    public static bool StartsWithIgnoreCase(ReadOnlySpan<byte> value, ReadOnlySpan<byte> prefix) =>
        value.Length >= prefix.Length && Ascii.EqualsIgnoreCase(value[..prefix.Length], prefix);
}
