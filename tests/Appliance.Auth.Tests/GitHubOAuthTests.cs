using System.Buffers.Text;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Appliance.Auth.GitHub;
using Microsoft.AspNetCore.WebUtilities;

namespace Appliance.Auth.Tests;

public sealed class GitHubOAuthTests
{
    private static readonly TimeSpan ShortTimeout = TimeSpan.FromSeconds(1);

    // Generous against a loaded CI machine, far below "hangs": the point is that the call ends.
    private static readonly TimeSpan TimeoutBound = TimeSpan.FromSeconds(15);

    private static string[] Principals(GitHubIdentity identity, PrincipalKind kind)
        => [.. identity.Groups.Where(group => group.Principal.Kind == kind).Select(group => group.Principal.ToString()).Order(StringComparer.Ordinal)];

    [Fact]
    public void AuthorizationRequest_AsksForReadUserAndReadOrgWithOneTimeStateAndS256Challenge()
    {
        using var http = new HttpClient();
        var oauth = new GitHubOAuth(new GitHubSettings { ClientId = "Ov23liABCDEFGHIJKLMN", ClientSecret = "s3cr3t" }, http);

        var request = oauth.CreateAuthorizationRequest(GitHubTestHarness.RedirectUri);
        var other = oauth.CreateAuthorizationRequest(GitHubTestHarness.RedirectUri);

        Assert.Equal("https://github.com/login/oauth/authorize", request.AuthorizeUri.GetLeftPart(UriPartial.Path));
        // The scope goes out as %20, never '+', so GitHub reads two scopes.
        Assert.Contains("scope=read%3Auser%20read%3Aorg&", request.AuthorizeUri.AbsoluteUri, StringComparison.Ordinal);
        var query = QueryHelpers.ParseQuery(request.AuthorizeUri.Query);
        Assert.Equal("Ov23liABCDEFGHIJKLMN", query["client_id"]);
        Assert.Equal(GitHubTestHarness.RedirectUri, query["redirect_uri"]);
        Assert.Equal("read:user read:org", query["scope"]);
        Assert.DoesNotContain("repo", query["scope"].ToString(), StringComparison.Ordinal);
        Assert.Equal("S256", query["code_challenge_method"]);
        Assert.Equal(request.Pending.State, query["state"]);
        Assert.Equal(GitHubOAuth.CodeChallengeOf(request.Pending.CodeVerifier), query["code_challenge"]);
        Assert.False(query.ContainsKey("code_verifier"));
        Assert.True(Base64Url.DecodeFromChars(request.Pending.State).Length >= 16);
        Assert.InRange(request.Pending.CodeVerifier.Length, 43, 128);
        Assert.All(request.Pending.CodeVerifier, c => Assert.True(char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~'));
        Assert.NotEqual(request.Pending.State, other.Pending.State);
        Assert.NotEqual(request.Pending.CodeVerifier, other.Pending.CodeVerifier);
        Assert.DoesNotContain(request.Pending.CodeVerifier, request.ToString() + request.Pending, StringComparison.Ordinal);
    }

    [Fact]
    public void CodeChallenge_IsRfc7636AppendixBExample()
        => Assert.Equal("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", GitHubOAuth.CodeChallengeOf("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"));

    [Fact]
    public void StatesEqual_IsExactAndRefusesMissingOrEmpty()
    {
        const string State = "n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg";
        Assert.True(GitHubOAuth.StatesEqual(State, string.Concat(State.AsSpan(0, 10), State.AsSpan(10))));
        Assert.False(GitHubOAuth.StatesEqual(State, State[..^1] + "h"));
        Assert.False(GitHubOAuth.StatesEqual(State, State.ToUpperInvariant()));
        Assert.False(GitHubOAuth.StatesEqual(State, State + "x"));
        Assert.False(GitHubOAuth.StatesEqual(State, null));
        Assert.False(GitHubOAuth.StatesEqual(State, ""));
        Assert.False(GitHubOAuth.StatesEqual("", ""));
    }

    [Fact]
    public async Task Login_Enterprise_GivesUserOrgsAndTeamsFromEveryPage()
    {
        await using var harness = await GitHubTestHarness.StartAsync();
        var (pending, code, state) = await harness.AuthorizeAsync();

        var result = await harness.OAuth.LoginAsync(pending, state, code);

        Assert.True(result.Succeeded, result.ToString());
        var identity = result.Value!.Identity;
        Assert.Equal("github_user://583231", identity.Principal.ToString());
        Assert.Equal("octocat", identity.Login);
        Assert.Equal("The Octocat", identity.DisplayName);
        Assert.Equal(GitHubTestHarness.MemberOrgIds.Select(id => $"github_org://{id}"), Principals(identity, PrincipalKind.GitHubOrg));
        Assert.Equal(GitHubTestHarness.MemberTeamIds.Select(id => $"github_team://{id}"), Principals(identity, PrincipalKind.GitHubTeam));
        Assert.Contains(identity.Groups, group => group is { Login: "org-101", DisplayName: "org-101" } && group.Principal.ToString() == "github_org://101");
        Assert.Contains(identity.Groups, group => group is { Login: "org-102/team-202", DisplayName: "Team 202" });
        Assert.Equal(["read:org", "read:user"], result.Value.Token.Scopes);

        // What GitHub saw: the minimal scopes and an S256 challenge, then pages of 2 of per_page=100 under /api/v3.
        var authorization = Assert.Single(harness.GitHub.Authorizations);
        Assert.Equal(("read:user read:org", "S256"), (authorization.Scope, authorization.CodeChallengeMethod));
        var requests = harness.GitHub.ApiRequests;
        Assert.Equal(["/api/v3/user", "/api/v3/user/orgs", "/api/v3/user/teams"], requests.Select(request => request.Path).Distinct());
        Assert.Equal(3, requests.Count(request => request.Path == "/api/v3/user/orgs"));
        Assert.Equal(4, requests.Count(request => request.Path == "/api/v3/user/teams"));
        Assert.All(requests, request =>
        {
            Assert.Equal("Bearer " + result.Value.Token.Value, request.Authorization);
            Assert.Equal("application/vnd.github+json", request.Accept);
            Assert.Equal("2022-11-28", request.ApiVersion);
            Assert.StartsWith("Appliance/", request.UserAgent, StringComparison.Ordinal);
        });
        Assert.Contains(requests, request => request.Query == "?per_page=100&page=4");
    }

    [Fact]
    public async Task Login_GitHubComLayout_ExchangesOnGitHubComAndReadsApiGitHubCom()
    {
        await using var harness = await GitHubTestHarness.StartAsync(FakeGitHubLayout.GitHubCom);
        Assert.Equal(new Uri("https://api.github.com/"), harness.Settings.ApiBaseUri);
        var (pending, code, state) = await harness.AuthorizeAsync();

        var result = await harness.OAuth.LoginAsync(pending, state, code);

        Assert.True(result.Succeeded, result.ToString());
        Assert.Equal(12, result.Value!.Identity.Groups.Count);
        Assert.All(harness.GitHub.ApiRequests, request => Assert.Equal("api.github.com", request.Host));
        Assert.Contains(harness.GitHub.ApiRequests, request => request.Path == "/user/teams");
        Assert.Equal(1, harness.GitHub.TokenRequests);
    }

    [Fact]
    public async Task Login_WrongState_IsRefusedBeforeGitHubIsAsked()
    {
        await using var harness = await GitHubTestHarness.StartAsync();
        var (pending, code, state) = await harness.AuthorizeAsync();
        var forged = harness.OAuth.CreateAuthorizationRequest(GitHubTestHarness.RedirectUri).Pending.State;

        var wrong = await harness.OAuth.LoginAsync(pending, forged, code);
        var missing = await harness.OAuth.LoginAsync(pending, null, code);

        Assert.Equal(GitHubStatus.StateMismatch, wrong.Status);
        Assert.Equal(GitHubStatus.StateMismatch, missing.Status);
        Assert.Contains("state", wrong.Reason, StringComparison.Ordinal);
        Assert.Equal(0, harness.GitHub.TokenRequests);
        // The code was not spent by the refused attempts.
        Assert.True((await harness.OAuth.LoginAsync(pending, state, code)).Succeeded);
    }

    [Fact]
    public async Task Exchange_WrongCode_IsCodeRejectedWithReadableReason()
    {
        await using var harness = await GitHubTestHarness.StartAsync();
        var (pending, _, _) = await harness.AuthorizeAsync();
        const string WrongCode = "0123456789abcdef0123";

        var result = await harness.OAuth.ExchangeCodeAsync(WrongCode, pending.RedirectUri, pending.CodeVerifier);

        Assert.Equal(GitHubStatus.CodeRejected, result.Status);
        Assert.Contains("bad_verification_code", result.Reason, StringComparison.Ordinal);
        Assert.Contains("The code passed is incorrect or expired.", result.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(WrongCode, result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exchange_ReusedCode_IsCodeRejected()
    {
        await using var harness = await GitHubTestHarness.StartAsync();
        var (pending, code, state) = await harness.AuthorizeAsync();
        Assert.True((await harness.OAuth.LoginAsync(pending, state, code)).Succeeded);

        var again = await harness.OAuth.LoginAsync(pending, state, code);

        Assert.Equal(GitHubStatus.CodeRejected, again.Status);
        Assert.Equal(2, harness.GitHub.TokenRequests);
    }

    [Fact]
    public async Task Exchange_VerifierOfAnotherAuthorization_IsCodeRejected()
    {
        await using var harness = await GitHubTestHarness.StartAsync();
        var (pending, code, _) = await harness.AuthorizeAsync();
        var otherVerifier = harness.OAuth.CreateAuthorizationRequest(GitHubTestHarness.RedirectUri).Pending.CodeVerifier;

        var result = await harness.OAuth.ExchangeCodeAsync(code, pending.RedirectUri, otherVerifier);

        Assert.Equal(GitHubStatus.CodeRejected, result.Status);
        Assert.Contains("PKCE verifier", result.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(otherVerifier, result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exchange_WrongClientSecret_IsClientRejected()
    {
        const string WrongSecret = "0000000000000000000000000000000000000bad";
        await using var harness = await GitHubTestHarness.StartAsync(configure: settings => settings with { ClientSecret = WrongSecret });
        var (pending, code, state) = await harness.AuthorizeAsync();

        var result = await harness.OAuth.LoginAsync(pending, state, code);

        Assert.Equal(GitHubStatus.ClientRejected, result.Status);
        Assert.Contains("incorrect_client_credentials", result.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(WrongSecret, result.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(code, result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exchange_OtherRedirectUriThanAuthorized_IsRedirectUriMismatch()
    {
        await using var harness = await GitHubTestHarness.StartAsync();
        var (pending, code, _) = await harness.AuthorizeAsync();

        var result = await harness.OAuth.ExchangeCodeAsync(code, GitHubTestHarness.RedirectUri + "/elsewhere", pending.CodeVerifier);

        Assert.Equal(GitHubStatus.RedirectUriMismatch, result.Status);
        Assert.Contains("redirect_uri_mismatch", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exchange_CodeThatIsNotACode_IsRefusedWithoutAskingGitHub()
    {
        await using var harness = await GitHubTestHarness.StartAsync();
        var verifier = harness.OAuth.CreateAuthorizationRequest(GitHubTestHarness.RedirectUri).Pending.CodeVerifier;

        var empty = await harness.OAuth.ExchangeCodeAsync("", GitHubTestHarness.RedirectUri, verifier);
        var injected = await harness.OAuth.ExchangeCodeAsync("abc\r\nX-Evil: 1", GitHubTestHarness.RedirectUri, verifier);

        Assert.Equal(GitHubStatus.CodeRejected, empty.Status);
        Assert.Equal(GitHubStatus.CodeRejected, injected.Status);
        Assert.Equal(0, harness.GitHub.TokenRequests);
    }

    [Fact]
    public async Task Identity_BadOrRevokedToken_IsTokenRejectedWithGitHubsMessage()
    {
        await using var harness = await GitHubTestHarness.StartAsync();
        var revoked = harness.GitHub.IssueToken(harness.Octocat);
        Assert.True((await harness.OAuth.GetIdentityAsync(new GitHubAccessToken(revoked, ["read:org"]))).Succeeded);
        harness.GitHub.RevokeToken(revoked);

        var bogus = await harness.OAuth.GetIdentityAsync(new GitHubAccessToken("gho_notatoken000000000000000000000000000", ["read:org"]));
        var afterRevocation = await harness.OAuth.GetIdentityAsync(new GitHubAccessToken(revoked, ["read:org"]));

        Assert.Equal(GitHubStatus.TokenRejected, bogus.Status);
        Assert.Contains("HTTP 401: Bad credentials", bogus.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("gho_", bogus.Reason, StringComparison.Ordinal);
        Assert.Equal(GitHubStatus.TokenRejected, afterRevocation.Status);
    }

    [Fact]
    public async Task Identity_MorePagesThanTheBound_IsTooManyPagesAfterExactlyThatMany()
    {
        await using var harness = await GitHubTestHarness.StartAsync(configure: settings => settings with { MaximumPages = 3 });
        harness.GitHub.MaxPerPage = 1;
        var token = harness.GitHub.IssueToken(harness.Octocat);

        var result = await harness.OAuth.GetIdentityAsync(new GitHubAccessToken(token, ["read:org"]));

        Assert.Equal(GitHubStatus.TooManyPages, result.Status);
        Assert.Contains("/user/orgs", result.Reason, StringComparison.Ordinal);
        Assert.Equal(3, harness.GitHub.ApiRequests.Count(request => request.Path.EndsWith("/user/orgs", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Identity_PaginationLinkToAnotherHost_IsNotFollowed()
    {
        await using var harness = await GitHubTestHarness.StartAsync(FakeGitHubLayout.GitHubCom);
        harness.GitHub.LinkAuthorityOverride = "github.com";
        var token = harness.GitHub.IssueToken(harness.Octocat);

        var result = await harness.OAuth.GetIdentityAsync(new GitHubAccessToken(token, ["read:org"]));

        // github.com is the fake too, so following the link would have reached it with the token.
        Assert.Equal(GitHubStatus.UnexpectedResponse, result.Status);
        Assert.Contains("outside the API", result.Reason, StringComparison.Ordinal);
        Assert.All(harness.GitHub.ApiRequests, request => Assert.Equal("api.github.com", request.Host));
        Assert.Single(harness.GitHub.ApiRequests, request => request.Path == "/user/orgs");
    }

    [Fact]
    public async Task Identity_ExhaustedRateLimit_IsRateLimited()
    {
        await using var harness = await GitHubTestHarness.StartAsync();
        var token = harness.GitHub.IssueToken(harness.Octocat);
        harness.GitHub.RateLimitRemaining = 2;

        var result = await harness.OAuth.GetIdentityAsync(new GitHubAccessToken(token, ["read:org"]));

        Assert.Equal(GitHubStatus.RateLimited, result.Status);
        Assert.Contains("API rate limit exceeded", result.Reason, StringComparison.Ordinal);
        Assert.Contains("resets at", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exchange_TokenEndpointThatNeverAnswers_TimesOutWithinTheBound()
    {
        await using var harness = await GitHubTestHarness.StartAsync(configure: settings => settings with { Timeout = ShortTimeout });
        harness.GitHub.Hang = FakeGitHubHang.TokenEndpoint;
        var (pending, code, state) = await harness.AuthorizeAsync();
        var clock = Stopwatch.StartNew();

        var result = await harness.OAuth.LoginAsync(pending, state, code);

        Assert.Equal(GitHubStatus.Timeout, result.Status);
        Assert.InRange(clock.Elapsed, ShortTimeout - TimeSpan.FromMilliseconds(50), TimeoutBound);
        Assert.Equal(1, harness.GitHub.TokenRequests);
        Assert.Contains("did not answer the code exchange within 1 s", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Identity_ApiThatNeverAnswers_TimesOutWithinTheBound()
    {
        await using var harness = await GitHubTestHarness.StartAsync(configure: settings => settings with { Timeout = ShortTimeout });
        harness.GitHub.Hang = FakeGitHubHang.Api;
        var token = harness.GitHub.IssueToken(harness.Octocat);
        var clock = Stopwatch.StartNew();

        var result = await harness.OAuth.GetIdentityAsync(new GitHubAccessToken(token, ["read:org"]));

        Assert.Equal(GitHubStatus.Timeout, result.Status);
        Assert.True(clock.Elapsed < TimeoutBound, $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task Identity_CallerCancellation_IsNotReportedAsATimeout()
    {
        await using var harness = await GitHubTestHarness.StartAsync();
        harness.GitHub.Hang = FakeGitHubHang.Api;
        var token = harness.GitHub.IssueToken(harness.Octocat);
        using var cancellation = new CancellationTokenSource();

        var lookup = harness.OAuth.GetIdentityAsync(new GitHubAccessToken(token, ["read:org"]), cancellation.Token);
        await WaitUntilAsync(() => harness.GitHub.HungRequests > 0);
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => lookup);
    }

    [Fact]
    public async Task Exchange_CertificateFromAnotherCa_IsTlsFailure()
    {
        await using var other = await FakeGitHub.StartAsync();
        await using var harness = await GitHubTestHarness.StartAsync(configure: settings => settings with { CaCertificatesPem = other.CaCertificatePem });
        var verifier = harness.OAuth.CreateAuthorizationRequest(GitHubTestHarness.RedirectUri).Pending.CodeVerifier;

        var result = await harness.OAuth.ExchangeCodeAsync("0123456789abcdef0123", GitHubTestHarness.RedirectUri, verifier);

        Assert.Equal(GitHubStatus.TlsFailure, result.Status);
        Assert.Equal(0, harness.GitHub.TokenRequests);
    }

    [Fact]
    public async Task Exchange_NothingListening_IsUnreachable()
    {
        int closedPort;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            closedPort = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        var settings = new GitHubSettings { ClientId = "Ov23liABCDEFGHIJKLMN", ClientSecret = "s3cr3t", Hostname = $"127.0.0.1:{closedPort}", Timeout = TimeSpan.FromSeconds(5) };
        using var http = GitHubHttp.CreateHttpClient(settings);
        var oauth = new GitHubOAuth(settings, http);
        var verifier = oauth.CreateAuthorizationRequest(GitHubTestHarness.RedirectUri).Pending.CodeVerifier;

        var result = await oauth.ExchangeCodeAsync("0123456789abcdef0123", GitHubTestHarness.RedirectUri, verifier);

        Assert.Equal(GitHubStatus.Unreachable, result.Status);
        Assert.Contains($"127.0.0.1:{closedPort}", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Logs_AndReasons_HoldNoSecretCodeVerifierStateOrToken()
    {
        await using var harness = await GitHubTestHarness.StartAsync();
        var secrets = new List<string> { harness.Settings.ClientSecret };
        var reasons = new List<string>();

        var (pending, code, state) = await harness.AuthorizeAsync();
        secrets.AddRange([code, pending.CodeVerifier, state]);
        var login = await harness.OAuth.LoginAsync(pending, state, code);
        Assert.True(login.Succeeded);
        secrets.Add(login.Value!.Token.Value);
        reasons.Add((await harness.OAuth.LoginAsync(pending, state, code)).Reason);
        reasons.Add((await harness.OAuth.LoginAsync(pending, "forged", code)).Reason);

        var (otherPending, otherCode, _) = await harness.AuthorizeAsync();
        secrets.AddRange([otherCode, otherPending.CodeVerifier]);
        reasons.Add((await harness.OAuth.ExchangeCodeAsync(otherCode, otherPending.RedirectUri, pending.CodeVerifier)).Reason);
        reasons.Add((await harness.OAuth.GetIdentityAsync(new GitHubAccessToken(login.Value.Token.Value + "x", []))).Reason);

        await using var wrongSecret = await GitHubTestHarness.StartAsync(configure: settings => settings with { ClientSecret = "the-wrong-secret-0123456789" });
        var (wrongPending, wrongCode, wrongState) = await wrongSecret.AuthorizeAsync();
        secrets.AddRange(["the-wrong-secret-0123456789", wrongSecret.GitHub.ClientSecret, wrongCode, wrongPending.CodeVerifier]);
        reasons.Add((await wrongSecret.OAuth.LoginAsync(wrongPending, wrongState, wrongCode)).Reason);

        var everything = harness.Log.Text + wrongSecret.Log.Text + string.Join('\n', reasons) + login.Value + login.Value.Token;
        Assert.Contains("GitHubIdentityResolved", harness.Log.Text, StringComparison.Ordinal);
        Assert.Contains("GitHubCodeExchangeFailed", harness.Log.Text, StringComparison.Ordinal);
        Assert.Contains("GitHubStateMismatch", harness.Log.Text, StringComparison.Ordinal);
        Assert.All(reasons, reason => Assert.NotEmpty(reason));
        Assert.All(secrets, secret => Assert.DoesNotContain(secret, everything, StringComparison.Ordinal));
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(10), "The condition did not become true within 10 s.");
            await Task.Delay(10);
        }
    }
}
