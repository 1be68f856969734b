using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Appliance.Api.Security;

namespace Appliance.Api.Tests;

/// <summary>
/// The periodic refresh of GitHub users (the Setting <c>auth-user-info-resync-interval</c>, as for directory users)
/// with the access token kept encrypted from their sign-in: new teams arrive without a sign-in, a token GitHub revokes
/// drops the GitHub groups and the GitHub tokens, and a disabled provider stops its tokens at once and disables its
/// users (a local account holding a GitHub principal only loses its GitHub groups).
/// </summary>
public sealed class GitHubRefreshTests(GitHubApiFixture fixture) : IClassFixture<GitHubApiFixture>, IDisposable
{
    private const string OctocatPrincipal = "github_user://583231";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private readonly HttpClient _browser = fixture.Api.CreateRawClient();

    public void Dispose() => _browser.Dispose();

    private Task SetIntervalAsync(string value) => fixture.PutAsync("/apis/management.appliance.io/v1/settings/" + DirectoryUserRefresher.IntervalSetting, new JsonObject
    {
        ["apiVersion"] = "management.appliance.io/v1",
        ["kind"] = "Setting",
        ["metadata"] = new JsonObject { ["name"] = DirectoryUserRefresher.IntervalSetting },
        ["value"] = value,
    });

    /// <summary>A whole GitHub sign-in as octocat; the answer's user id and token.</summary>
    private async Task<(string UserId, string Token)> SignInAsync()
    {
        JsonObject token = await fixture.SignInAsync(_browser);
        Assert.Equal("github", (string?)token["authProvider"]);
        return ((string)token["userId"]!, (string)token["token"]!);
    }

    private async Task<JsonObject> UserAsync(string userId)
        => await ApiServerFixture.ReadObjectAsync(await fixture.Api.Client.GetAsync("/apis/management.appliance.io/v1/users/" + userId));

    private async Task<JsonObject> WaitForUserAsync(string userId, Func<JsonObject, bool> condition)
    {
        DateTime deadline = DateTime.UtcNow + Bound;
        while (true)
        {
            JsonObject user = await UserAsync(userId);
            if (condition(user))
            {
                return user;
            }

            Assert.True(DateTime.UtcNow < deadline, "the refresh did not get there in time: " + user.ToJsonString());
            await Task.Delay(100);
        }
    }

    private async Task<HttpStatusCode> ApiStatusAsync(string token)
    {
        using HttpClient client = fixture.Api.CreateClient(token);
        using HttpResponseMessage response = await client.GetAsync("/api");
        return response.StatusCode;
    }

    private static string[] Groups(JsonObject user) => DirectoryApiFixture.Strings(user["groupPrincipalIds"]);

    /// <summary>The access token GitHub issued at the user's last sign-in, as the administrator reads the Secret.</summary>
    private async Task<string?> StoredAccessTokenAsync(string userId)
    {
        using HttpResponseMessage response = await fixture.Api.Client.GetAsync("/api/v1/namespaces/appliance-system/secrets/" + GitHubAccessTokens.SecretName(userId));
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        JsonObject secret = await ApiServerFixture.ReadObjectAsync(response);
        return Encoding.UTF8.GetString(Convert.FromBase64String((string)secret["data"]![GitHubAccessTokens.Key]!));
    }

    [Fact]
    public async Task Refresh_FollowsNewTeams_AndARevokedGitHubTokenDropsTheGroupsAndTheGitHubTokens()
    {
        await fixture.ConfigureAsync();
        (string userId, string session) = await SignInAsync();
        string accessToken = (await StoredAccessTokenAsync(userId))!;
        fixture.Secrets.Add(accessToken);
        fixture.Secrets.Add(session);
        Assert.Contains(fixture.GitHub.ApiRequests, request => request.Authorization == "Bearer " + accessToken);

        // Encrypted at rest: the store's bytes do not hold the token.
        string raw = Encoding.Latin1.GetString(fixture.Api.Store.Get("/registry/core/secrets/appliance-system/" + GitHubAccessTokens.SecretName(userId)).Item!.Value);
        Assert.StartsWith("k8s:enc:aesgcm:v1:", raw, StringComparison.Ordinal);
        Assert.DoesNotContain(accessToken, raw, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes(accessToken)), raw, StringComparison.Ordinal);

        // An API key made with the GitHub session is a GitHub token too.
        using HttpClient octocat = fixture.Api.CreateClient(session);
        string apiKey = (string)(await ApiServerFixture.ReadObjectAsync(await octocat.PostAsync("/v3/tokens", ApiServerFixture.Json(new JsonObject()))))["token"]!;
        fixture.Secrets.Add(apiKey);

        FakeGitHubOrg org = new(GitHubApiFixture.MemberOrgIds[0], $"org-{GitHubApiFixture.MemberOrgIds[0]}");
        long lateTeam = 200 + Random.Shared.Next(50, 99);
        fixture.GitHub.AddTeam(lateTeam, org, $"late-{lateTeam}", "Late Team", fixture.Octocat);
        try
        {
            await SetIntervalAsync("1s");
            await WaitForUserAsync(userId, user => Groups(user).Contains($"github_team://{lateTeam}"));
            Assert.Equal(HttpStatusCode.OK, await ApiStatusAsync(session));

            fixture.GitHub.RevokeToken(accessToken);
            // The stored token is deleted last, after the groups and the tokens.
            DateTime deadline = DateTime.UtcNow + Bound;
            while (await StoredAccessTokenAsync(userId) is not null)
            {
                Assert.True(DateTime.UtcNow < deadline, "the refresh did not see the revoked token in time");
                await Task.Delay(100);
            }

            JsonObject dropped = await UserAsync(userId);
            Assert.Empty(Groups(dropped));
            Assert.NotEqual(false, (bool?)dropped["enabled"]);
            Assert.Equal(HttpStatusCode.Unauthorized, await ApiStatusAsync(session));
            Assert.Equal(HttpStatusCode.Unauthorized, await ApiStatusAsync(apiKey));
        }
        finally
        {
            await SetIntervalAsync("1h");
        }

        // Signing in again restores everything.
        (string again, string newSession) = await SignInAsync();
        fixture.Secrets.Add(newSession);
        Assert.Equal(userId, again);
        Assert.Contains($"github_team://{lateTeam}", Groups(await UserAsync(userId)));
        Assert.Equal(HttpStatusCode.OK, await ApiStatusAsync(newSession));
        fixture.Secrets.Add((await StoredAccessTokenAsync(userId))!);
    }

    [Fact]
    public async Task DisablingGitHub_StopsItsTokensAtOnce_DisablesItsUsers_AndALinkedLocalAccountOnlyLosesItsGitHubGroups()
    {
        await fixture.ConfigureAsync();
        (string userId, string session) = await SignInAsync();
        fixture.Secrets.Add(session);
        fixture.Secrets.Add((await StoredAccessTokenAsync(userId))!);

        // A local account that holds a GitHub principal (as test and enable links the administrator's).
        string linked = "u-" + Guid.NewGuid().ToString("N")[..8];
        string linkedToken = await fixture.Api.IssueTokenAsync(linked);
        await fixture.PutAsync("/apis/management.appliance.io/v1/users/" + linked, new JsonObject
        {
            ["apiVersion"] = "management.appliance.io/v1",
            ["kind"] = "User",
            ["metadata"] = new JsonObject { ["name"] = linked },
            ["username"] = linked,
            ["principalIds"] = new JsonArray("local://" + linked, "github_user://583288"),
            ["groupPrincipalIds"] = new JsonArray($"github_org://{GitHubApiFixture.MemberOrgIds[1]}"),
        });

        try
        {
            await fixture.ConfigureAsync(config => config["enabled"] = false);
            Assert.Equal(HttpStatusCode.Unauthorized, await ApiStatusAsync(session));

            await SetIntervalAsync("1s");
            JsonObject disabled = await WaitForUserAsync(userId, user => (bool?)user["enabled"] == false);
            Assert.Empty(Groups(disabled));
            JsonObject local = await WaitForUserAsync(linked, user => Groups(user).Length == 0);
            Assert.NotEqual(false, (bool?)local["enabled"]);
            Assert.Equal(HttpStatusCode.OK, await ApiStatusAsync(linkedToken));

            // Enabled again: the refresh admits the GitHub user again with the token it kept.
            await fixture.ConfigureAsync();
            JsonObject back = await WaitForUserAsync(userId, user => (bool?)user["enabled"] != false && Groups(user).Length > 0);
            Assert.Contains($"github_org://{GitHubApiFixture.MemberOrgIds[0]}", Groups(back));
            Assert.Equal(HttpStatusCode.OK, await ApiStatusAsync(session));
        }
        finally
        {
            await SetIntervalAsync("1h");
            await fixture.ConfigureAsync();
        }
    }
}
