namespace Appliance.Proxy.Tests.Integration;

/// <summary>
/// The UI's session cookie at the proxy, under the API's CSRF rule: reads with <c>R_SESS</c> alone go through; a
/// state-changing request needs <c>X-API-CSRF</c> equal to the <c>CSRF</c> cookie, else a 403 Status and nothing
/// reaches the cluster; bearer tokens need no header; the cookies never reach the cluster.
/// </summary>
public sealed class SessionCookieCsrfTests(ProxyFixture fixture) : IClassFixture<ProxyFixture>
{
    private const string Csrf = "n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg";

    private static string Request(string method, string marker, string headers)
        => $"{method} /k8s/clusters/c1/api/v1/namespaces/default/configmaps?marker={marker} HTTP/1.1\r\nHost: proxy.test\r\n{headers}Content-Length: 2\r\n\r\n{{}}";

    private async Task<ClientResponse> SendAsync(string request)
    {
        await using RawClient client = await fixture.ConnectAsync();
        await client.SendAsync(request);
        return await client.ReadResponseAsync();
    }

    [Theory]
    [InlineData("POST")]
    [InlineData("PUT")]
    [InlineData("PATCH")]
    [InlineData("DELETE")]
    [InlineData("get")]
    public async Task StateChangingRequestsWithTheCookie_NeedTheCsrfHeader(string method)
    {
        string marker = "csrf-missing-" + method;
        ClientResponse refused = await SendAsync(Request(method, marker, $"Cookie: R_SESS={TestAuthenticator.AliceToken}; CSRF={Csrf}\r\n"));

        Assert.Equal(403, refused.Status);
        Assert.Contains("X-API-CSRF", refused.BodyText, StringComparison.Ordinal);
        Assert.Empty(fixture.Upstream.RequestsMatching("marker=" + marker));
    }

    [Theory]
    [InlineData("wrong", "X-API-CSRF: n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgh\r\n", true)]
    [InlineData("no-cookie", "X-API-CSRF: " + Csrf + "\r\n", false)]
    [InlineData("empty", "X-API-CSRF: \r\n", true)]
    [InlineData("twice", "X-API-CSRF: " + Csrf + "\r\nx-api-csrf: " + Csrf + "\r\n", true)]
    public async Task AWrongMissingEmptyOrDoubledCsrfHeader_IsRefused(string marker, string header, bool withCsrfCookie)
    {
        string cookie = $"Cookie: R_SESS={TestAuthenticator.AliceToken}" + (withCsrfCookie ? $"; CSRF={Csrf}" : "") + "\r\n";
        ClientResponse refused = await SendAsync(Request("POST", "csrf-" + marker, cookie + header));

        Assert.Equal(403, refused.Status);
        Assert.Empty(fixture.Upstream.RequestsMatching("marker=csrf-" + marker));
    }

    [Fact]
    public async Task TheMatchingHeader_LetsTheRequestThrough_WithoutEitherCookie()
    {
        ClientResponse response = await SendAsync(Request("POST", "csrf-ok",
            $"Cookie: theme=dark; CSRF=\"{Csrf}\"; R_SESS={TestAuthenticator.AliceToken}\r\nx-api-csrf: {Csrf}\r\n"));

        Assert.Equal(200, response.Status);
        RecordedRequest forwarded = Assert.Single(fixture.Upstream.RequestsMatching("marker=csrf-ok"));
        Assert.Equal(["u-alice"], forwarded.HeaderValues("Impersonate-User"));
        Assert.Empty(forwarded.HeaderValues("Cookie"));
        Assert.DoesNotContain(TestAuthenticator.AliceToken, forwarded.RawHead, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadsWithTheCookie_AndBearerWrites_NeedNoHeader_AndAStaleCookieIs401()
    {
        Assert.Equal(200, (await SendAsync(Request("GET", "csrf-get", $"Cookie: R_SESS={TestAuthenticator.AliceToken}\r\n"))).Status);
        Assert.Equal(200, (await SendAsync(Request("POST", "csrf-bearer", $"Authorization: Bearer {TestAuthenticator.AliceToken}\r\n"))).Status);
        Assert.Single(fixture.Upstream.RequestsMatching("marker=csrf-get"));
        Assert.Single(fixture.Upstream.RequestsMatching("marker=csrf-bearer"));

        // Authentication first, as in the API: a revoked session is told to sign in again, not that it was forged.
        Assert.Equal(401, (await SendAsync(Request("POST", "csrf-stale", $"Cookie: R_SESS={TestAuthenticator.RevokedToken}\r\n"))).Status);
    }
}
