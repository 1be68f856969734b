using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Appliance.Proxy;

/// <summary>
/// A cluster's <c>Host</c> line and <c>Authorization: Bearer &lt;impersonator service-account token&gt;</c>
/// line, built when the token is issued or refreshed (not per request).
/// </summary>
internal sealed class UpstreamHeaders
{
    /// <summary>An authority: reg-name or IPv4, or a bracketed IPv6 literal, and an optional port (RFC 3986 section 3.2).</summary>
    private static readonly SearchValues<byte> AuthorityCharacters =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~:[]"u8);

    /// <summary>token68 (RFC 9110 section 11.2): what a bearer token may contain.</summary>
    private static readonly SearchValues<byte> Token68Characters =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~+/="u8);

    private readonly byte[] _hostLine;
    private readonly byte[] _authorizationLine;

    private UpstreamHeaders(byte[] hostLine, byte[] authorizationLine) => (_hostLine, _authorizationLine) = (hostLine, authorizationLine);

    /// <summary><c>Host: authority</c> CRLF.</summary>
    public ReadOnlySpan<byte> HostLine => _hostLine;

    /// <summary><c>Authorization: Bearer token</c> CRLF.</summary>
    public ReadOnlySpan<byte> AuthorizationLine => _authorizationLine;

    public static bool TryCreate(string authority, string bearerToken, [NotNullWhen(true)] out UpstreamHeaders? headers)
    {
        headers = null;
        byte[] authorityBytes = Encoding.ASCII.GetBytes(authority);
        byte[] tokenBytes = Encoding.ASCII.GetBytes(bearerToken);

        // Encoding.ASCII turns non-ASCII into '?', which neither set allows, so this also rejects those.
        if (authorityBytes.Length == 0 || authorityBytes.AsSpan().ContainsAnyExcept(AuthorityCharacters)
            || tokenBytes.Length == 0 || tokenBytes.AsSpan().ContainsAnyExcept(Token68Characters))
        {
            return false;
        }

        headers = new UpstreamHeaders(
            [.. "Host: "u8, .. authorityBytes, .. "\r\n"u8],
            [.. "Authorization: Bearer "u8, .. tokenBytes, .. "\r\n"u8]);
        return true;
    }
}
