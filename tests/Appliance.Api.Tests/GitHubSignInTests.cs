using System.Net;
using System.Text.Json.Nodes;
using Appliance.Api.Security;

namespace Appliance.Api.Tests;

/// <summary>
/// GitHub sign-in through the API against the fake GitHub: the browser's trip (authorize, GitHub, callback), the
/// POST login, the state bound to the browser by the sealed cookie, orgs and teams across pages, access modes.
/// Every refusal here is followed by a success in the same test, so the login brake (per client address) never
/// fires on the next test.
/// </summary>
public sealed class GitHubSignInTests(GitHubApiFixture fixture) : IClassFixture<GitHubApiFixture>, IDisposable
{
    private const string LoginPath = GitHubSignIn.Path + "?action=login";
    private const string OctocatPrincipal = "github_user://583231";
    private const string LateTeam = "github_team://208";

    private readonly HttpClient _browser = fixture.Api.CreateRawClient();

    public void Dispose() => _browser.Dispose();

    /// <summary>The browser's trip: our authorize answer (302 and the pending cookie), then GitHub's redirect back.</summary>
    private async Task<(string Pending, Uri Callback, HttpResponseMessage Begin)> AuthorizeAsync()
    {
        HttpResponseMessage begin = await _browser.GetAsync(GitHubSignIn.Path + "?action=authorize");
        Assert.Equal(HttpStatusCode.Found, begin.StatusCode);
        string pending = SetCookie.All(begin)[GitHubSignIn.PendingCookie].Value;
        Uri callback = await fixture.GitHub.AuthorizeAsBrowserAsync(begin.Headers.Location!);
        fixture.Secrets.Add(pending);
        fixture.Secrets.Add(FakeGitHub.QueryValue(callback, "code")!);
        fixture.Secrets.Add(FakeGitHub.QueryValue(callback, "state")!);
        return (pending, callback, begin);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? pending, JsonObject? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = ApiServerFixture.Json(body);
        }

        if (pending is not null)
        {
            request.Headers.Add("Cookie", GitHubSignIn.PendingCookie + "=" + pending);
        }

        return await _browser.SendAsync(request);
    }

    private async Task<(HttpStatusCode Status, JsonObject Body)> PostLoginAsync(string? pending, string code, string state, string? responseType = null)
    {
        var body = new JsonObject { ["code"] = code, ["state"] = state };
        if (responseType is not null)
        {
            body["responseType"] = responseType;
        }

        using HttpResponseMessage response = await SendAsync(HttpMethod.Post, LoginPath, pending, body);
        // Every answer of a completion clears the pending cookie: a state is used once.
        Assert.True(SetCookie.All(response)[GitHubSignIn.PendingCookie].Deletes);
        JsonObject answer = await ApiServerFixture.ReadObjectAsync(response);
        if ((string?)answer["token"] is string token)
        {
            fixture.Secrets.Add(token);
        }

        return (response.StatusCode, answer);
    }

    /// <summary>A whole sign-in by POST login; returns the session token.</summary>
    private async Task<string> SignInAsync()
    {
        (string pending, Uri callback, _) = await AuthorizeAsync();
        (HttpStatusCode status, JsonObject token) = await PostLoginAsync(pending, FakeGitHub.QueryValue(callback, "code")!, FakeGitHub.QueryValue(callback, "state")!);
        Assert.True(status == HttpStatusCode.Created, token.ToJsonString());
        return (string)token["token"]!;
    }

    private static string[] Principals(string scheme, IEnumerable<long> ids) => [.. ids.Select(id => $"{scheme}://{id}")];

    [Fact]
    public async Task BrowserTrip_AuthorizeGitHubCallback_SetsTheSession_AndTheUserHoldsEveryOrgAndTeamAcrossPages()
    {
        await fixture.ConfigureAsync();
        (string pending, Uri callback, HttpResponseMessage begin) = await AuthorizeAsync();

        // Our 302 to GitHub: fewest scopes, S256, our callback; the pending sign-in is bound to the browser.
        Uri authorize = begin.Headers.Location!;
        Assert.Equal(fixture.GitHub.Hostname, authorize.Authority);
        FakeGitHubAuthorization asked = fixture.GitHub.Authorizations[^1];
        Assert.Equal("read:user read:org", asked.Scope);
        Assert.Equal("S256", asked.CodeChallengeMethod);
        Assert.Equal(new Uri(fixture.Api.BaseAddress, GitHubSignIn.Path).AbsoluteUri + "?action=callback", asked.RedirectUri);
        SetCookie cookie = SetCookie.All(begin)[GitHubSignIn.PendingCookie];
        Assert.True(cookie.Has("HttpOnly") && cookie.Has("Secure"));
        Assert.Equal("Lax", cookie["SameSite"]);
        Assert.Equal("600", cookie["Max-Age"]);
        Assert.Equal(GitHubSignIn.Path, cookie["Path"]);
        Assert.DoesNotContain(asked.State!, pending, StringComparison.Ordinal);

        // GitHub sends the browser back; the callback completes the sign-in into the browser session.
        Assert.StartsWith(new Uri(fixture.Api.BaseAddress, GitHubSignIn.Path).AbsoluteUri + "?action=callback&code=", callback.AbsoluteUri, StringComparison.Ordinal);
        using HttpResponseMessage back = await SendAsync(HttpMethod.Get, callback.PathAndQuery, pending);
        Assert.Equal(HttpStatusCode.Found, back.StatusCode);
        Assert.Equal("/", back.Headers.Location!.OriginalString);
        Dictionary<string, SetCookie> set = SetCookie.All(back);
        Assert.True(set[GitHubSignIn.PendingCookie].Deletes);
        SetCookie session = set[SessionCookies.SessionCookie];
        SetCookie csrf = set[SessionCookies.CsrfCookie];
        fixture.Secrets.Add(session.Value);
        Assert.True(session.Has("HttpOnly") && session.Has("Secure"));
        Assert.Equal("Strict", session["SameSite"]);
        Assert.False(csrf.Has("HttpOnly"));

        // The session works as octocat, with every org and team GitHub listed across its pages, and no other.
        using var review = new HttpRequestMessage(HttpMethod.Post, "/apis/authentication.k8s.io/v1/selfsubjectreviews")
        {
            Content = ApiServerFixture.Json(new JsonObject { ["apiVersion"] = "authentication.k8s.io/v1", ["kind"] = "SelfSubjectReview" }),
        };
        review.Headers.Add("Cookie", $"{SessionCookies.SessionCookie}={session.Value}; {SessionCookies.CsrfCookie}={csrf.Value}");
        review.Headers.Add(SessionCookies.CsrfHeader, csrf.Value);
        using HttpResponseMessage reviewed = await _browser.SendAsync(review);
        Assert.Equal(HttpStatusCode.Created, reviewed.StatusCode);
        JsonObject userInfo = (JsonObject)(await ApiServerFixture.ReadObjectAsync(reviewed))["status"]!["userInfo"]!;
        string[] expected = [.. Principals("github_org", GitHubApiFixture.MemberOrgIds), .. Principals("github_team", GitHubApiFixture.MemberTeamIds), "system:authenticated"];
        // Team 208 is added by another test of this class, which may have run first.
        Assert.Equal(expected.Order(StringComparer.Ordinal), DirectoryApiFixture.Strings(userInfo["groups"]).Where(g => g != LateTeam).Order(StringComparer.Ordinal));
        Assert.Equal([OctocatPrincipal], DirectoryApiFixture.Strings(userInfo["extra"]!["principalid"]));

        JsonObject user = (await fixture.FindUserAsync(OctocatPrincipal))!;
        Assert.Equal("octocat", (string?)user["username"]);
        Assert.Equal("The Octocat", (string?)user["displayName"]);
        Assert.Equal((string?)userInfo["username"], (string?)user["metadata"]!["name"]);
        Assert.DoesNotContain($"github_org://{GitHubApiFixture.OtherOrgId}", DirectoryApiFixture.Strings(user["groupPrincipalIds"]));
        Assert.DoesNotContain($"github_team://{GitHubApiFixture.OtherTeamId}", DirectoryApiFixture.Strings(user["groupPrincipalIds"]));
        Assert.True(fixture.GitHub.ApiRequests.Count(r => r.Path.EndsWith("/user/teams", StringComparison.Ordinal)) >= 4, "the teams were read across their four pages");
    }

    [Fact]
    public async Task PostLogin_Answers201WithAToken_ASecondSignInIsTheSameUser_AndGroupsFollowGitHub()
    {
        await fixture.ConfigureAsync();
        string token = await SignInAsync();
        using HttpClient octocat = fixture.Api.CreateClient(token);
        using HttpResponseMessage discovery = await octocat.GetAsync("/api");
        Assert.Equal(HttpStatusCode.OK, discovery.StatusCode);
        string userId = (string)(await fixture.FindUserAsync(OctocatPrincipal))!["metadata"]!["name"]!;

        // GitHub now lists one more team for octocat: the next sign-in brings it, on the same User.
        fixture.GitHub.AddTeam(208, new FakeGitHubOrg(101, "org-101"), "team-208", "Team 208", fixture.Octocat);
        await SignInAsync();
        JsonObject again = (await fixture.FindUserAsync(OctocatPrincipal))!;
        Assert.Equal(userId, (string?)again["metadata"]!["name"]);
        Assert.Contains(LateTeam, DirectoryApiFixture.Strings(again["groupPrincipalIds"]));
    }

    [Fact]
    public async Task WrongState_MissingOrForgedPendingCookie_AndAReplayedCode_AreRefused()
    {
        await fixture.ConfigureAsync();
        (string pending, Uri callback, _) = await AuthorizeAsync();
        string code = FakeGitHub.QueryValue(callback, "code")!;
        string state = FakeGitHub.QueryValue(callback, "state")!;
        int exchanges = fixture.GitHub.TokenRequests;

        // A state that is not the browser's is refused before GitHub is asked.
        string wrongState = state[..^2] + (state[^2..] == "AA" ? "BB" : "AA");
        (HttpStatusCode wrong, JsonObject body) = await PostLoginAsync(pending, code, wrongState);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong);
        Assert.Equal(LoginEndpoint.RefusedMessage, (string?)body["message"]);
        // So is the right state without the browser's cookie, or with one changed by a byte, or sealed for another browser.
        Assert.Equal(HttpStatusCode.Unauthorized, (await PostLoginAsync(null, code, state)).Status);
        char flipped = pending[10] == 'A' ? 'B' : 'A';
        Assert.Equal(HttpStatusCode.Unauthorized, (await PostLoginAsync(pending[..10] + flipped + pending[11..], code, state)).Status);
        (string otherPending, Uri otherCallback, _) = await AuthorizeAsync();
        Assert.Equal(HttpStatusCode.Unauthorized, (await PostLoginAsync(otherPending, code, state)).Status);
        Assert.Equal(exchanges, fixture.GitHub.TokenRequests);

        // The right pair works once; GitHub refuses the code the second time.
        Assert.Equal(HttpStatusCode.Created, (await PostLoginAsync(pending, code, state)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await PostLoginAsync(pending, code, state)).Status);
        Assert.Equal(HttpStatusCode.Created, (await PostLoginAsync(otherPending, FakeGitHub.QueryValue(otherCallback, "code")!, FakeGitHub.QueryValue(otherCallback, "state")!)).Status);

        // A callback with the wrong state is refused too, and sets no session.
        (string third, Uri thirdCallback, _) = await AuthorizeAsync();
        using HttpResponseMessage forged = await SendAsync(HttpMethod.Get, thirdCallback.PathAndQuery.Replace("state=", "state=x", StringComparison.Ordinal), third);
        Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
        Assert.False(SetCookie.All(forged).ContainsKey(SessionCookies.SessionCookie));
        await SignInAsync();
    }

    [Fact]
    public async Task RestrictedByOrg_AdmitsAMemberOnly_AndATeamTheUserIsNotInIsNotTrusted()
    {
        try
        {
            await fixture.ConfigureAsync(config =>
            {
                config["accessMode"] = "restricted";
                config["allowedPrincipalIds"] = new JsonArray("github_org://105");
            });
            await SignInAsync();

            // Org 199 is hubot's only; team 299 is in octocat's org 101 but octocat is not in it.
            foreach (string allowed in new[] { $"github_org://{GitHubApiFixture.OtherOrgId}", $"github_team://{GitHubApiFixture.OtherTeamId}" })
            {
                await fixture.ConfigureAsync(config =>
                {
                    config["accessMode"] = "restricted";
                    config["allowedPrincipalIds"] = new JsonArray(allowed);
                });
                (string pending, Uri callback, _) = await AuthorizeAsync();
                (HttpStatusCode status, JsonObject body) = await PostLoginAsync(pending, FakeGitHub.QueryValue(callback, "code")!, FakeGitHub.QueryValue(callback, "state")!);
                Assert.Equal(HttpStatusCode.Forbidden, status);
                Assert.Contains("restricted", (string?)body["message"], StringComparison.Ordinal);
            }

            // Allowed by user principal in required mode.
            await fixture.ConfigureAsync(config =>
            {
                config["accessMode"] = "required";
                config["allowedPrincipalIds"] = new JsonArray(OctocatPrincipal);
            });
            await SignInAsync();
        }
        finally
        {
            await fixture.ConfigureAsync();
        }
    }

    [Fact]
    public async Task ProviderNotEnabled_Is404_GitHubUnreachable_Is503_AndBadBodiesAre400()
    {
        try
        {
            await fixture.ConfigureAsync(config => config["enabled"] = false);
            using (HttpResponseMessage begin = await _browser.GetAsync(GitHubSignIn.Path + "?action=authorize"))
            {
                Assert.Equal(HttpStatusCode.NotFound, begin.StatusCode);
            }

            Assert.Equal(HttpStatusCode.NotFound, (await PostLoginAsync(null, "0123456789abcdef0123", "state")).Status);

            // A GitHub that does not answer: the browser is still sent there (nothing to reach yet), the login is 503.
            await fixture.ConfigureAsync(config => config["hostname"] = "localhost:1");
            using HttpResponseMessage started = await _browser.GetAsync(GitHubSignIn.Path + "?action=authorize");
            Assert.Equal(HttpStatusCode.Found, started.StatusCode);
            string pending = SetCookie.All(started)[GitHubSignIn.PendingCookie].Value;
            string state = FakeGitHub.QueryValue(started.Headers.Location!, "state")!;
            (HttpStatusCode unavailable, JsonObject why) = await PostLoginAsync(pending, "0123456789abcdef0123", state);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, unavailable);
            Assert.StartsWith("GitHub is unavailable", (string?)why["message"], StringComparison.Ordinal);

            // Bad bodies and unknown actions.
            using HttpResponseMessage noState = await SendAsync(HttpMethod.Post, LoginPath, null, new JsonObject { ["code"] = "abc" });
            Assert.Equal(HttpStatusCode.BadRequest, noState.StatusCode);
            using HttpResponseMessage badType = await SendAsync(HttpMethod.Post, LoginPath, null, new JsonObject { ["code"] = "abc", ["state"] = "s", ["responseType"] = "saml" });
            Assert.Equal(HttpStatusCode.BadRequest, badType.StatusCode);
            using HttpResponseMessage unknown = await _browser.GetAsync(GitHubSignIn.Path + "?action=login");
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);

            // The client secret is never in the AuthConfig.
            var config = new JsonObject { ["metadata"] = new JsonObject { ["name"] = "github" }, ["clientId"] = "Ov23li0123", ["clientSecret"] = "x", ["hostname"] = "https://github.com/" };
            using HttpResponseMessage rejected = await fixture.Api.Client.PostAsync("/apis/management.appliance.io/v1/authconfigs?dryRun=All", ApiServerFixture.Json(config));
            Assert.Equal(HttpStatusCode.UnprocessableEntity, rejected.StatusCode);
            string causes = await rejected.Content.ReadAsStringAsync();
            Assert.Contains("clientSecret", causes, StringComparison.Ordinal);
            Assert.Contains("hostname", causes, StringComparison.Ordinal);
        }
        finally
        {
            await fixture.ConfigureAsync();
        }

        await SignInAsync();
    }

    [Fact]
    public async Task CookieAndKubeconfigResponseTypes_WorkForGitHubToo()
    {
        await fixture.ConfigureAsync();
        (string pending, Uri callback, _) = await AuthorizeAsync();
        using HttpResponseMessage response = await SendAsync(HttpMethod.Post, LoginPath, pending, new JsonObject
        {
            ["code"] = FakeGitHub.QueryValue(callback, "code"),
            ["state"] = FakeGitHub.QueryValue(callback, "state"),
            ["responseType"] = "cookie",
        });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        SetCookie session = SetCookie.All(response)[SessionCookies.SessionCookie];
        fixture.Secrets.Add(session.Value);
        Assert.DoesNotContain(session.Value, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        (pending, callback, _) = await AuthorizeAsync();
        using HttpResponseMessage kubeconfig = await SendAsync(HttpMethod.Post, LoginPath, pending, new JsonObject
        {
            ["code"] = FakeGitHub.QueryValue(callback, "code"),
            ["state"] = FakeGitHub.QueryValue(callback, "state"),
            ["responseType"] = "kubeconfig",
        });
        Assert.Equal(HttpStatusCode.Created, kubeconfig.StatusCode);
        string yaml = await kubeconfig.Content.ReadAsStringAsync();
        Assert.Contains("token: \"token-", yaml, StringComparison.Ordinal);
        fixture.Secrets.Add(yaml[(yaml.IndexOf("token: \"", StringComparison.Ordinal) + 8)..].Split('"')[0]);
    }

    [Fact]
    public async Task NoClientSecret_Code_State_PendingCookie_OrToken_InTheAuditOrTheLog()
    {
        await fixture.ConfigureAsync();
        await SignInAsync();
        (string pending, Uri callback, _) = await AuthorizeAsync();
        await PostLoginAsync(pending, FakeGitHub.QueryValue(callback, "code")!, "wrong-" + FakeGitHub.QueryValue(callback, "state"));
        await SignInAsync();
        foreach (FakeGitHubApiRequest request in fixture.GitHub.ApiRequests)
        {
            if (request.Authorization?.Split(' ') is [_, string accessToken])
            {
                fixture.Secrets.Add(accessToken);
            }
        }

        // The audit is written off the request path: wait for this test's lines before reading.
        string audit = "";
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            audit = await fixture.Api.ReadAuditLogAsync();
            if (audit.Split('\n').Count(line => line.Contains("\"provider\":\"github\"", StringComparison.Ordinal) && line.Contains("\"failed\"", StringComparison.Ordinal)) >= 1
                && audit.Contains("\"username\":\"octocat\"", StringComparison.Ordinal))
            {
                break;
            }

            await Task.Delay(25);
        }

        Assert.Contains("\"username\":\"octocat\"", audit, StringComparison.Ordinal);
        // What the server logs (Logging.Configure): every category at Information, the framework's from Warning. The
        // framework's request lines carry the callback's query (code and state, as GitHub put them in the URL); the
        // server never prints them.
        string log = fixture.Api.ServerLogText;
        Assert.Contains("octocat", log, StringComparison.Ordinal);
        Assert.True(fixture.Secrets.Count > 10);
        foreach (string secret in fixture.Secrets)
        {
            Assert.DoesNotContain(secret, audit, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, log, StringComparison.Ordinal);
        }
    }
}
