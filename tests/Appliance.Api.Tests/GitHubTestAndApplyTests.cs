using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Appliance.Api.Security;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Api.Tests;

/// <summary>
/// GitHub's test and enable against the fake GitHub: <c>configureTest</c> answers GitHub's authorize URL with a state
/// bound to the caller's session by a sealed cookie; <c>testAndApply</c> exchanges the code with the candidate config,
/// links the GitHub user to the configuring administrator and only then saves and enables the config. Every refusal
/// saves nothing.
/// </summary>
public sealed class GitHubTestAndApplyTests(GitHubApiFixture fixture) : IClassFixture<GitHubApiFixture>, IDisposable
{
    private const string ConfigPath = "/apis/management.appliance.io/v1/authconfigs/github";
    private const string OctocatPrincipal = "github_user://583231";

    private readonly HttpClient _client = fixture.Api.CreateRawClient();

    public void Dispose() => _client.Dispose();

    private string AdminId => fixture.Api.Services.GetRequiredService<SecurityBootstrapper>().AdminUserId;

    /// <summary>The candidate config as an administrator types it: the client secret in clear.</summary>
    private JsonObject Candidate(string accessMode = "restricted") => new()
    {
        ["clientId"] = fixture.GitHub.ClientId,
        ["clientSecret"] = fixture.GitHub.ClientSecret,
        ["hostname"] = fixture.GitHub.Hostname,
        ["certificate"] = fixture.GitHub.CaCertificatePem,
        ["accessMode"] = accessMode,
        ["allowedPrincipalIds"] = new JsonArray($"github_org://{GitHubApiFixture.OtherOrgId}"),
    };

    private async Task<HttpResponseMessage> PostAsync(string action, JsonObject body, string token, string? pendingCookie)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v3/authConfigs/github?action=" + action) { Content = ApiServerFixture.Json(body) };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        if (pendingCookie is not null)
        {
            request.Headers.Add("Cookie", GitHubTestAndApply.PendingCookie + "=" + pendingCookie);
        }

        return await _client.SendAsync(request);
    }

    /// <summary>configureTest, then the administrator's browser at GitHub: the pending cookie and the code and state GitHub sent back.</summary>
    private async Task<(string Pending, string Code, string State)> ConfigureTestAsync(string token, JsonObject? candidate = null)
    {
        using HttpResponseMessage response = await PostAsync("configureTest", new JsonObject { ["githubConfig"] = candidate?.DeepClone() ?? Candidate() }, token, null);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        SetCookie pending = SetCookie.All(response)[GitHubTestAndApply.PendingCookie];
        Assert.True(pending.Has("HttpOnly") && pending.Has("Secure"));
        Assert.Equal("Strict", pending["SameSite"]);
        Uri redirect = new((string)(await ApiServerFixture.ReadObjectAsync(response))["redirectUrl"]!);
        Assert.StartsWith($"https://{fixture.GitHub.Hostname}/login/oauth/authorize?", redirect.AbsoluteUri, StringComparison.Ordinal);
        Assert.Equal(fixture.GitHub.ClientId, FakeGitHub.QueryValue(redirect, "client_id"));
        Assert.Equal("S256", FakeGitHub.QueryValue(redirect, "code_challenge_method"));
        Uri callback = await fixture.GitHub.AuthorizeAsBrowserAsync(redirect);
        Assert.Equal(GitHubSignIn.Path, callback.AbsolutePath);
        string code = FakeGitHub.QueryValue(callback, "code")!;
        string state = FakeGitHub.QueryValue(callback, "state")!;
        Assert.Equal(FakeGitHub.QueryValue(redirect, "state"), state);
        fixture.Secrets.Add(pending.Value);
        fixture.Secrets.Add(code);
        fixture.Secrets.Add(state);

        // Where GitHub sent the browser: it shows what to finish the test with.
        using HttpResponseMessage landing = await _client.GetAsync(callback.PathAndQuery);
        Assert.Equal(HttpStatusCode.OK, landing.StatusCode);
        Assert.Equal(code, (string?)(await ApiServerFixture.ReadObjectAsync(landing))["code"]);
        return (pending.Value, code, state);
    }

    private async Task<(HttpStatusCode Status, JsonObject Body)> TestAndApplyAsync(string token, string? pending, string code, string state, JsonObject? candidate = null)
    {
        using HttpResponseMessage response = await PostAsync("testAndApply",
            new JsonObject { ["githubConfig"] = candidate?.DeepClone() ?? Candidate(), ["code"] = code, ["state"] = state, ["enabled"] = true }, token, pending);
        // Every attempt clears the pending cookie.
        Assert.True(SetCookie.All(response)[GitHubTestAndApply.PendingCookie].Deletes);
        return (response.StatusCode, await ApiServerFixture.ReadObjectAsync(response));
    }

    /// <summary>What a test and enable may change: the config, the client secret's Secret and the administrator's principals.</summary>
    private async Task<string> SnapshotAsync()
    {
        using HttpResponseMessage config = await fixture.Api.Client.GetAsync(ConfigPath);
        using HttpResponseMessage secret = await fixture.Api.Client.GetAsync("/api/v1/namespaces/appliance-system/secrets/" + GitHubTestAndApply.SecretName);
        JsonObject admin = await ApiServerFixture.ReadObjectAsync(await fixture.Api.Client.GetAsync("/apis/management.appliance.io/v1/users/" + AdminId));
        return $"{config.StatusCode} {await config.Content.ReadAsStringAsync()} | {secret.StatusCode} {await secret.Content.ReadAsStringAsync()} | {admin["principalIds"]?.ToJsonString()} {admin["groupPrincipalIds"]?.ToJsonString()}";
    }

    [Fact]
    public async Task ConfigureTestThenTestAndApply_LinksTheGitHubUserToTheAdmin_ThenSavesAndEnables_WithTheSecretInASecret()
    {
        string adminToken = fixture.Api.AdminToken;
        (string pending, string code, string state) = await ConfigureTestAsync(adminToken);
        (HttpStatusCode status, JsonObject saved) = await TestAndApplyAsync(adminToken, pending, code, state);
        Assert.True(status == HttpStatusCode.OK, saved.ToJsonString());

        JsonObject stored = await ApiServerFixture.ReadObjectAsync(await fixture.Api.Client.GetAsync(ConfigPath));
        Assert.True((bool)stored["enabled"]!);
        Assert.Equal("restricted", (string?)stored["accessMode"]);
        Assert.Equal([$"github_org://{GitHubApiFixture.OtherOrgId}", OctocatPrincipal], DirectoryApiFixture.Strings(stored["allowedPrincipalIds"]));
        Assert.Equal(GitHubTestAndApply.SecretName, (string?)stored["clientSecretSecretRef"]?["name"]);
        Assert.DoesNotContain(fixture.GitHub.ClientSecret, stored.ToJsonString(), StringComparison.Ordinal);
        JsonObject secret = await ApiServerFixture.ReadObjectAsync(await fixture.Api.Client.GetAsync("/api/v1/namespaces/appliance-system/secrets/" + GitHubTestAndApply.SecretName));
        Assert.Equal(fixture.GitHub.ClientSecret, Encoding.UTF8.GetString(Convert.FromBase64String((string)secret["data"]!["clientSecret"]!)));

        // The administrator holds octocat now, with octocat's orgs and teams, and stays a local account of its own name.
        JsonObject admin = await ApiServerFixture.ReadObjectAsync(await fixture.Api.Client.GetAsync("/apis/management.appliance.io/v1/users/" + AdminId));
        Assert.Contains(OctocatPrincipal, DirectoryApiFixture.Strings(admin["principalIds"]));
        Assert.Contains("local://" + AdminId, DirectoryApiFixture.Strings(admin["principalIds"]));
        Assert.Equal("admin", (string?)admin["username"]);
        Assert.Contains($"github_org://{GitHubApiFixture.MemberOrgIds[0]}", DirectoryApiFixture.Strings(admin["groupPrincipalIds"]));
        Assert.Contains($"github_team://{GitHubApiFixture.MemberTeamIds[0]}", DirectoryApiFixture.Strings(admin["groupPrincipalIds"]));

        // Signing in through GitHub as octocat now is the administrator, not a new user: nobody is locked out.
        JsonObject token = await fixture.SignInAsync(_client);
        Assert.Equal(AdminId, (string?)token["userId"]);
        Assert.Equal("admin", (string?)(await ApiServerFixture.ReadObjectAsync(await fixture.Api.Client.GetAsync("/apis/management.appliance.io/v1/users/" + AdminId)))["username"]);

        // A second test and enable with the stored secret (none sent) and another access mode.
        JsonObject again = Candidate("unrestricted");
        again.Remove("clientSecret");
        (pending, code, state) = await ConfigureTestAsync(adminToken, again);
        (status, saved) = await TestAndApplyAsync(adminToken, pending, code, state, again);
        Assert.True(status == HttpStatusCode.OK, saved.ToJsonString());
        Assert.Equal("unrestricted", (string?)saved["accessMode"]);
        Assert.Equal(GitHubTestAndApply.SecretName, (string?)saved["clientSecretSecretRef"]?["name"]);
    }

    [Fact]
    public async Task AWrongState_AForeignOrMissingCookie_ARefusedCode_OrAGitHubUserOfAnotherUser_SaveNothing()
    {
        string adminToken = fixture.Api.AdminToken;
        string otherSessionOfTheAdmin = await fixture.Api.IssueTokenAsync(AdminId);
        string before = await SnapshotAsync();

        (string pending, string code, string state) = await ConfigureTestAsync(adminToken);
        (HttpStatusCode status, JsonObject body) = await TestAndApplyAsync(adminToken, pending, code, "wrong-" + state);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Equal("TestFailed", (string?)body["code"]);
        Assert.Contains("StateMismatch", (string?)body["message"], StringComparison.Ordinal);
        Assert.Equal(before, await SnapshotAsync());

        // The cookie is bound to the token that asked for the test: another session, even of the same user, cannot finish it.
        (status, body) = await TestAndApplyAsync(otherSessionOfTheAdmin, pending, code, state);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Contains("configureTest", (string?)body["message"], StringComparison.Ordinal);
        (status, _) = await TestAndApplyAsync(adminToken, null, code, state);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        (status, _) = await TestAndApplyAsync(adminToken, pending[..^4] + "AAAA", code, state);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Equal(before, await SnapshotAsync());

        // A code GitHub refuses (not one it issued): the exchange fails.
        (pending, _, state) = await ConfigureTestAsync(adminToken);
        (status, body) = await TestAndApplyAsync(adminToken, pending, "0123456789abcdef0123", state);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Contains("CodeRejected", (string?)body["message"], StringComparison.Ordinal);
        Assert.Equal(before, await SnapshotAsync());

        // A GitHub account that is already another user's is not linked to the administrator.
        FakeGitHubUser hubot = fixture.GitHub.AddUser(583299, "hubot-twin");
        string holder = "u-" + Guid.NewGuid().ToString("N")[..8];
        using (HttpResponseMessage created = await fixture.Api.Client.PostAsync("/apis/management.appliance.io/v1/users", ApiServerFixture.Json(new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = holder },
            ["username"] = "hubot-twin",
            ["principalIds"] = new JsonArray("github_user://583299"),
        })))
        {
            Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        }

        fixture.GitHub.SignedInUser = hubot;
        try
        {
            (pending, code, state) = await ConfigureTestAsync(adminToken);
            (status, body) = await TestAndApplyAsync(adminToken, pending, code, state);
            Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
            Assert.Contains(holder, (string?)body["message"], StringComparison.Ordinal);
        }
        finally
        {
            fixture.GitHub.SignedInUser = fixture.Octocat;
        }

        Assert.Equal(before, await SnapshotAsync());
    }

    [Fact]
    public async Task AUserWithoutRightsOnAuthConfigs_IsRefused_AndBadBodiesAreClearErrors()
    {
        string plain = await fixture.Api.IssueTokenAsync("u-" + Guid.NewGuid().ToString("N")[..8]);
        using (HttpResponseMessage refused = await PostAsync("configureTest", new JsonObject { ["githubConfig"] = Candidate() }, plain, null))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        using (HttpResponseMessage anonymous = await _client.PostAsync("/v3/authConfigs/github?action=configureTest", ApiServerFixture.Json(Candidate())))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        string adminToken = fixture.Api.AdminToken;
        JsonObject badHost = Candidate();
        badHost["hostname"] = "https://github.example/path";
        JsonObject noId = Candidate();
        noId.Remove("clientId");
        foreach ((string action, JsonObject body, HttpStatusCode expected) in new[]
        {
            ("configureTest", new JsonObject { ["githubConfig"] = badHost }, HttpStatusCode.UnprocessableEntity),
            ("configureTest", new JsonObject { ["githubConfig"] = noId }, HttpStatusCode.UnprocessableEntity),
            ("testAndApply", new JsonObject { ["code"] = "x", ["state"] = "y" }, HttpStatusCode.BadRequest),
            ("other", new JsonObject(), HttpStatusCode.NotFound),
        })
        {
            using HttpResponseMessage response = await PostAsync(action, body, adminToken, null);
            Assert.Equal(expected, response.StatusCode);
            Assert.Equal("error", (string?)(await ApiServerFixture.ReadObjectAsync(response))["type"]);
        }

        using (HttpResponseMessage noCode = await PostAsync("testAndApply", new JsonObject { ["githubConfig"] = Candidate() }, adminToken, null))
        {
            Assert.Equal(HttpStatusCode.BadRequest, noCode.StatusCode);
        }
    }
}
