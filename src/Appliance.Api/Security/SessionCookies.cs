using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Appliance.Api.Security;

/// <summary>
/// The browser session, Rancher's pattern: a login with <c>responseType: cookie</c> sets <c>R_SESS</c> (the session
/// token; HttpOnly, so page scripts never see it; Secure; SameSite=Strict; Path=/) and <c>CSRF</c> (random, readable
/// by the UI's scripts). A request authenticated by <c>R_SESS</c> that may change state (any method but GET, HEAD
/// and OPTIONS) must carry the header <c>X-API-CSRF</c> equal to the <c>CSRF</c> cookie: another site can make the
/// browser send the cookies, but cannot read them to copy the value into a header. Bearer tokens are not
/// checked: a browser never adds them by itself.
/// </summary>
public static class SessionCookies
{
    public const string SessionCookie = "R_SESS";
    public const string CsrfCookie = "CSRF";
    public const string CsrfHeader = "X-API-CSRF";

    /// <summary>What a refused request is told (403).</summary>
    public const string CsrfRefusedMessage =
        "the request is authenticated by the session cookie but does not carry an X-API-CSRF header equal to the CSRF cookie";

    // Tokens are under 100 characters; a longer cookie is not ours and is not worth a store lookup.
    private const int MaxSessionCookieChars = 512;

    private const string Attributes = "; Path=/; Secure; SameSite=Strict";
    private const string Expired = "; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0";

    /// <summary>
    /// Sets both cookies for a session <paramref name="token"/> (<c>token-xxxxx:SECRET</c>, whose characters are all
    /// valid cookie octets, written as is: Go's Rancher writes it the same way, and the proxy reads it raw). No
    /// expiry: a browser-session cookie, as Rancher's; the token's own TTL still ends it.
    /// </summary>
    public static void Set(HttpResponse response, string token)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentException.ThrowIfNullOrEmpty(token);
        string csrf = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        response.Headers.Append("Set-Cookie", SessionCookie + "=" + token + Attributes + "; HttpOnly");
        response.Headers.Append("Set-Cookie", CsrfCookie + "=" + csrf + Attributes);
        response.Headers.CacheControl = "no-store";
    }

    /// <summary>Tells the browser to drop both cookies (logout).</summary>
    public static void Clear(HttpResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        response.Headers.Append("Set-Cookie", SessionCookie + "=" + Expired + Attributes + "; HttpOnly");
        response.Headers.Append("Set-Cookie", CsrfCookie + "=" + Expired + Attributes);
    }

    /// <summary>The request's <c>R_SESS</c> value, or null when it has none (or one too long to be a token).</summary>
    public static string? SessionToken(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Cookies.TryGetValue(SessionCookie, out string? value) && value.Length is > 0 and <= MaxSessionCookieChars ? value : null;
    }

    /// <summary>Methods that must not change state (RFC 9110 section 9.2.1): no CSRF header needed.</summary>
    public static bool IsSafe(string method)
        => HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method);

    /// <summary>
    /// Whether a request made with the session cookie may proceed: a safe method, or exactly one
    /// <c>X-API-CSRF</c> header equal (in constant time) to a non-empty <c>CSRF</c> cookie.
    /// </summary>
    public static bool CsrfHolds(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (IsSafe(request.Method))
        {
            return true;
        }

        if (!request.Cookies.TryGetValue(CsrfCookie, out string? cookie) || string.IsNullOrEmpty(cookie)
            || request.Headers[CsrfHeader] is not { Count: 1 } header || string.IsNullOrEmpty(header[0]))
        {
            return false;
        }

        // Lengths are not secret (every value is 43 characters); the contents are compared without an early exit.
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(cookie), Encoding.UTF8.GetBytes(header[0]!));
    }
}
