using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Appliance.Api.Security;

namespace Appliance.Api.Tests;

/// <summary>
/// A fake GitHub Enterprise Server (its own CA, Link pagination two items a page) and an API server with its log
/// captured, for the GitHub sign-in tests. octocat is in 5 orgs and 7 teams (3 and 4 pages); hubot is in an org
/// octocat is not, and in a team of one of octocat's orgs that octocat is not in.
/// </summary>
public sealed class GitHubApiFixture : IAsyncLifetime
{
    public const string SecretName = "github-oauth";

    public static readonly long[] MemberOrgIds = [101, 102, 103, 104, 105];

    public static readonly long[] MemberTeamIds = [201, 202, 203, 204, 205, 206, 207];

    /// <summary>An org octocat is not in.</summary>
    public const long OtherOrgId = 199;

    /// <summary>A team of octocat's org 101 that octocat is not in.</summary>
    public const long OtherTeamId = 299;

    public LoggingApiServer Api { get; } = new();

    public FakeGitHub GitHub { get; private set; } = null!;

    public FakeGitHubUser Octocat { get; private set; } = null!;

    /// <summary>Every code, state, pending cookie and token a test saw, for the test that searches the logs for them.</summary>
    public ConcurrentBag<string> Secrets { get; } = [];

    public async Task InitializeAsync()
    {
        await Api.InitializeAsync();
        GitHub = await FakeGitHub.StartAsync(FakeGitHubLayout.Enterprise);
        Secrets.Add(GitHub.ClientSecret);
        // GitHub's rule: the redirect URI must be this URL or below it; ours adds ?action=callback.
        GitHub.RegisteredCallbackUrl = new Uri(Api.BaseAddress, GitHubSignIn.Path).AbsoluteUri;
        Octocat = GitHub.AddUser(583231, "octocat", "The Octocat");
        FakeGitHubUser hubot = GitHub.AddUser(583232, "hubot");
        GitHub.SignedInUser = Octocat;
        FakeGitHubOrg[] orgs = [.. MemberOrgIds.Select(id => GitHub.AddOrg(id, $"org-{id}", Octocat))];
        GitHub.AddOrg(OtherOrgId, "not-a-member", hubot);
        for (int i = 0; i < MemberTeamIds.Length; i++)
        {
            GitHub.AddTeam(MemberTeamIds[i], orgs[i % orgs.Length], $"team-{MemberTeamIds[i]}", $"Team {MemberTeamIds[i]}", Octocat);
        }

        GitHub.AddTeam(OtherTeamId, orgs[0], "not-my-team", "Not My Team", hubot);
    }

    public async Task DisposeAsync()
    {
        if (GitHub is not null)
        {
            await GitHub.DisposeAsync();
        }

        await Api.DisposeAsync();
    }

    /// <summary>
    /// Writes the client secret's Secret and the <c>github</c> AuthConfig (created or replaced): enabled, unrestricted,
    /// pointed at the fake with its CA, then changed by <paramref name="change"/>.
    /// </summary>
    public async Task ConfigureAsync(Action<JsonObject>? change = null)
    {
        await PutAsync("/api/v1/namespaces/appliance-system/secrets/" + SecretName, new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Secret",
            ["metadata"] = new JsonObject { ["name"] = SecretName, ["namespace"] = "appliance-system" },
            ["stringData"] = new JsonObject { ["clientSecret"] = GitHub.ClientSecret },
        });
        var config = new JsonObject
        {
            ["apiVersion"] = "management.appliance.io/v1",
            ["kind"] = "AuthConfig",
            ["metadata"] = new JsonObject { ["name"] = "github" },
            ["enabled"] = true,
            ["accessMode"] = "unrestricted",
            ["hostname"] = GitHub.Hostname,
            ["clientId"] = GitHub.ClientId,
            ["certificate"] = GitHub.CaCertificatePem,
            ["clientSecretSecretRef"] = new JsonObject { ["namespace"] = "appliance-system", ["name"] = SecretName },
        };
        change?.Invoke(config);
        await PutAsync("/apis/management.appliance.io/v1/authconfigs/github", config);
    }

    /// <summary>
    /// A whole GitHub sign-in as octocat from <paramref name="browser"/> (our authorize, GitHub's redirect back, the
    /// login); asserts the 201 and returns the token object. The pending cookie, code, state and token join <see cref="Secrets"/>.
    /// </summary>
    public async Task<JsonObject> SignInAsync(HttpClient browser)
    {
        using HttpResponseMessage begin = await browser.GetAsync(GitHubSignIn.Path + "?action=authorize");
        string pending = SetCookie.All(begin)[GitHubSignIn.PendingCookie].Value;
        Uri callback = await GitHub.AuthorizeAsBrowserAsync(begin.Headers.Location!);
        string code = FakeGitHub.QueryValue(callback, "code")!;
        string state = FakeGitHub.QueryValue(callback, "state")!;
        using var login = new HttpRequestMessage(HttpMethod.Post, GitHubSignIn.Path + "?action=login")
        {
            Content = ApiServerFixture.Json(new JsonObject { ["code"] = code, ["state"] = state }),
        };
        login.Headers.Add("Cookie", GitHubSignIn.PendingCookie + "=" + pending);
        using HttpResponseMessage response = await browser.SendAsync(login);
        JsonObject token = await ApiServerFixture.ReadObjectAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.Created, token.ToJsonString());
        foreach (string secret in new[] { pending, code, state, (string)token["token"]! })
        {
            Secrets.Add(secret);
        }

        return token;
    }

    /// <summary>Creates or replaces an object as the admin (<see cref="ApiServerFixture.PutAsync"/>).</summary>
    public Task PutAsync(string path, JsonObject obj) => Api.PutAsync(path, obj);

    /// <summary>The User holding <paramref name="principal"/>, as the admin reads it; null when there is none.</summary>
    public async Task<JsonObject?> FindUserAsync(string principal)
    {
        JsonObject list = await ApiServerFixture.ReadObjectAsync(await Api.Client.GetAsync("/apis/management.appliance.io/v1/users"));
        return ((JsonArray)list["items"]!).OfType<JsonObject>()
            .FirstOrDefault(user => user["principalIds"] is JsonArray ids && ids.Any(id => (string?)id == principal));
    }
}
