using System.Net;
using System.Text.Json;
using Appliance.Auth.GitHub;
using Microsoft.AspNetCore.WebUtilities;

namespace Appliance.Auth.Tests;

/// <summary>
/// The fake GitHub itself, spoken to with raw HTTP: the shapes the product's client does not use (form and XML
/// answers, authorize errors) and the rules a faithful GitHub enforces, so the client tests rest on a fake that
/// behaves like GitHub rather than like the client.
/// </summary>
public sealed class GitHubFakeTests
{
    private const string RedirectUri = "https://appliance.example.test/verify-auth";

    private static HttpClient Browser(FakeGitHub gitHub) => new(gitHub.CreateHandler()) { Timeout = TimeSpan.FromSeconds(30) };

    private static Uri Authorize(FakeGitHub gitHub, string redirectUri = RedirectUri, string? challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
        => new($"https://{gitHub.Hostname}/login/oauth/authorize?client_id={gitHub.ClientId}&redirect_uri={Uri.EscapeDataString(redirectUri)}"
               + "&scope=read:user%20read:org&state=xyz" + (challenge is null ? "" : $"&code_challenge={challenge}&code_challenge_method=S256"));

    private static async Task<(FakeGitHub GitHub, FakeGitHubUser User)> StartAsync(TimeProvider? time = null)
    {
        var gitHub = await FakeGitHub.StartAsync(timeProvider: time);
        var user = gitHub.AddUser(1, "octocat", "The Octocat");
        gitHub.SignedInUser = user;
        gitHub.RegisteredCallbackUrl = RedirectUri;
        return (gitHub, user);
    }

    private static FormUrlEncodedContent TokenForm(FakeGitHub gitHub, string code, string? verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
        => new(new Dictionary<string, string>
        {
            ["client_id"] = gitHub.ClientId,
            ["client_secret"] = gitHub.ClientSecret,
            ["code"] = code,
            ["redirect_uri"] = RedirectUri,
            ["code_verifier"] = verifier ?? "",
        });

    [Fact]
    public async Task TokenEndpoint_WithoutAcceptJson_AnswersFormEncodedAndWithXmlAcceptXml()
    {
        var (gitHub, _) = await StartAsync();
        await using var _ = gitHub;
        using var browser = Browser(gitHub);
        var code = FakeGitHub.QueryValue(await gitHub.AuthorizeAsBrowserAsync(Authorize(gitHub)), "code")!;
        var tokenUri = new Uri($"https://{gitHub.Hostname}/login/oauth/access_token");

        using var form = await browser.PostAsync(tokenUri, TokenForm(gitHub, code));
        using var xmlRequest = new HttpRequestMessage(HttpMethod.Post, tokenUri) { Content = TokenForm(gitHub, "0123456789abcdef0123") };
        xmlRequest.Headers.Accept.ParseAdd("application/xml");
        using var xml = await browser.SendAsync(xmlRequest);

        Assert.Equal("application/x-www-form-urlencoded", form.Content.Headers.ContentType!.MediaType);
        var fields = QueryHelpers.ParseQuery("?" + await form.Content.ReadAsStringAsync());
        Assert.StartsWith("gho_", fields["access_token"].ToString(), StringComparison.Ordinal);
        Assert.Equal("bearer", fields["token_type"]);
        Assert.Equal("read:org,read:user", fields["scope"]);
        Assert.Equal(HttpStatusCode.OK, xml.StatusCode);
        Assert.StartsWith("<OAuth><error>bad_verification_code</error>", await xml.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TokenEndpoint_ErrorsAreHttp200WithGitHubsTriple()
    {
        var (gitHub, _) = await StartAsync();
        await using var _ = gitHub;
        using var browser = Browser(gitHub);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"https://{gitHub.Hostname}/login/oauth/access_token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["client_id"] = gitHub.ClientId, ["client_secret"] = "wrong", ["code"] = "x" }),
        };
        request.Headers.Accept.ParseAdd("application/json");

        using var response = await browser.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("incorrect_client_credentials", json.RootElement.GetProperty("error").GetString());
        Assert.Equal("The client_id and/or client_secret passed are incorrect.", json.RootElement.GetProperty("error_description").GetString());
        Assert.StartsWith("https://docs.github.com/", json.RootElement.GetProperty("error_uri").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Code_ExpiresAfterTenMinutes()
    {
        var time = new ManualTime(DateTimeOffset.Parse("2025-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var (gitHub, _) = await StartAsync(time);
        await using var _ = gitHub;
        using var browser = Browser(gitHub);
        var code = FakeGitHub.QueryValue(await gitHub.AuthorizeAsBrowserAsync(Authorize(gitHub)), "code")!;
        time.Now += FakeGitHub.CodeLifetime;

        using var response = await browser.PostAsync($"https://{gitHub.Hostname}/login/oauth/access_token", TokenForm(gitHub, code));

        Assert.Contains("error=bad_verification_code", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Code_WithChallenge_NeedsTheVerifier()
    {
        var (gitHub, _) = await StartAsync();
        await using var _ = gitHub;
        using var browser = Browser(gitHub);
        var code = FakeGitHub.QueryValue(await gitHub.AuthorizeAsBrowserAsync(Authorize(gitHub)), "code")!;

        using var response = await browser.PostAsync($"https://{gitHub.Hostname}/login/oauth/access_token", TokenForm(gitHub, code, verifier: null));

        Assert.Contains("error=bad_verification_code", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Authorize_RedirectUriOutsideTheCallback_SendsTheBrowserToTheCallbackWithRedirectUriMismatch()
    {
        var (gitHub, _) = await StartAsync();
        await using var _ = gitHub;

        var below = await gitHub.AuthorizeAsBrowserAsync(Authorize(gitHub, RedirectUri + "/deeper"));
        var outside = await gitHub.AuthorizeAsBrowserAsync(Authorize(gitHub, "https://evil.example/verify-auth"));

        Assert.NotNull(FakeGitHub.QueryValue(below, "code"));
        Assert.Equal(RedirectUri, outside.GetLeftPart(UriPartial.Path));
        Assert.Equal("redirect_uri_mismatch", FakeGitHub.QueryValue(outside, "error"));
        Assert.Equal("xyz", FakeGitHub.QueryValue(outside, "state"));
        Assert.Null(FakeGitHub.QueryValue(outside, "code"));
    }

    [Fact]
    public async Task Authorize_UserDenies_RedirectsWithAccessDeniedAndState()
    {
        var (gitHub, _) = await StartAsync();
        await using var _ = gitHub;
        gitHub.UserDeniesAccess = true;

        var callback = await gitHub.AuthorizeAsBrowserAsync(Authorize(gitHub));

        Assert.Equal("access_denied", FakeGitHub.QueryValue(callback, "error"));
        Assert.Equal("The user has denied your application access.", FakeGitHub.QueryValue(callback, "error_description"));
        Assert.Equal("xyz", FakeGitHub.QueryValue(callback, "state"));
    }

    [Fact]
    public async Task Authorize_UnknownClient_IsNotFound()
    {
        var (gitHub, _) = await StartAsync();
        await using var _ = gitHub;
        using var browser = Browser(gitHub);

        using var response = await browser.GetAsync(Authorize(gitHub).AbsoluteUri.Replace(gitHub.ClientId, "Ov23liUnknownApp0000", StringComparison.Ordinal));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Api_WithoutUserAgent_Is403AndWithAnUnknownVersion_Is400()
    {
        var (gitHub, user) = await StartAsync();
        await using var _ = gitHub;
        using var browser = Browser(gitHub);
        var token = gitHub.IssueToken(user);
        using var withoutAgent = new HttpRequestMessage(HttpMethod.Get, $"https://{gitHub.Hostname}/api/v3/user");
        withoutAgent.Headers.Authorization = new("Bearer", token);
        using var unknownVersion = new HttpRequestMessage(HttpMethod.Get, $"https://{gitHub.Hostname}/api/v3/user");
        unknownVersion.Headers.Authorization = new("Bearer", token);
        unknownVersion.Headers.UserAgent.ParseAdd("test/1");
        unknownVersion.Headers.Add("X-GitHub-Api-Version", "2099-01-01");

        using var forbidden = await browser.SendAsync(withoutAgent);
        using var badVersion = await browser.SendAsync(unknownVersion);

        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Contains("User-Agent", await forbidden.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, badVersion.StatusCode);
        Assert.Contains("API version 2099-01-01 is not supported.", await badVersion.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Api_BadToken_Is401BadCredentials()
    {
        var (gitHub, _) = await StartAsync();
        await using var _ = gitHub;
        using var browser = Browser(gitHub);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"https://{gitHub.Hostname}/api/v3/user");
        request.Headers.Authorization = new("token", "gho_bogus");
        request.Headers.UserAgent.ParseAdd("test/1");

        using var response = await browser.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("Bad credentials", json.RootElement.GetProperty("message").GetString());
        Assert.Equal("https://docs.github.com/rest", json.RootElement.GetProperty("documentation_url").GetString());
        Assert.Equal("401", json.RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Api_MiddlePage_LinksPrevNextLastAndFirst()
    {
        var (gitHub, user) = await StartAsync();
        await using var _ = gitHub;
        foreach (var id in Enumerable.Range(1, 5))
        {
            gitHub.AddOrg(id, $"org-{id}", user);
        }

        using var browser = Browser(gitHub);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"https://{gitHub.Hostname}/api/v3/user/orgs?per_page=100&page=2");
        request.Headers.Authorization = new("Bearer", gitHub.IssueToken(user));
        request.Headers.UserAgent.ParseAdd("test/1");

        using var response = await browser.SendAsync(request);

        var api = $"https://{gitHub.Hostname}/api/v3/user/orgs?per_page=100";
        Assert.Equal(
            $"<{api}&page=1>; rel=\"prev\", <{api}&page=3>; rel=\"next\", <{api}&page=3>; rel=\"last\", <{api}&page=1>; rel=\"first\"",
            Assert.Single(response.Headers.GetValues("Link")));
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal([3L, 4L], json.RootElement.EnumerateArray().Select(org => org.GetProperty("id").GetInt64()));
        Assert.Equal("read:org, read:user", Assert.Single(response.Headers.GetValues("X-OAuth-Scopes")));
    }

    [Fact]
    public async Task ConnectAsync_OtherNames_DoNotResolve()
    {
        await using var gitHub = await FakeGitHub.StartAsync(FakeGitHubLayout.GitHubCom);
        var settings = new GitHubSettings { ClientId = gitHub.ClientId, ClientSecret = gitHub.ClientSecret, Hostname = "github.evil.example", CaCertificatesPem = gitHub.CaCertificatePem };
        var handler = GitHubHttp.CreateHandler(settings);
        handler.ConnectCallback = gitHub.ConnectAsync;
        using var http = GitHubHttp.CreateHttpClient(settings, handler);

        var result = await new GitHubOAuth(settings, http).ExchangeCodeAsync("0123456789abcdef0123", RedirectUri, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");

        Assert.Equal(GitHubStatus.Unreachable, result.Status);
    }

    private sealed class ManualTime(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
