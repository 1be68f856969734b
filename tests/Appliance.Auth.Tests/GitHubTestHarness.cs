using Appliance.Auth.GitHub;
using Microsoft.Extensions.Logging;

namespace Appliance.Auth.Tests;

/// <summary>
/// A fake GitHub with one user in several orgs and teams (more than fit on one page), and a
/// <see cref="GitHubOAuth"/> pointed at it through the production HTTP client (the settings' CA).
/// </summary>
internal sealed class GitHubTestHarness : IAsyncDisposable
{
    public const string RedirectUri = "https://appliance.example.test/verify-auth";

    private GitHubTestHarness(FakeGitHub gitHub, GitHubSettings settings, HttpClient http)
    {
        GitHub = gitHub;
        Settings = settings;
        Http = http;
        OAuth = new GitHubOAuth(settings, http, Log);
    }

    public FakeGitHub GitHub { get; }

    public GitHubSettings Settings { get; }

    public HttpClient Http { get; }

    public GitHubOAuth OAuth { get; }

    public GitHubCapturingLogger Log { get; } = new();

    public FakeGitHubUser Octocat { get; private set; } = null!;

    /// <summary>The org and team ids octocat is a member of: 5 orgs and 7 teams, so 3 and 4 pages of 2.</summary>
    public static readonly long[] MemberOrgIds = [101, 102, 103, 104, 105];

    public static readonly long[] MemberTeamIds = [201, 202, 203, 204, 205, 206, 207];

    public static async Task<GitHubTestHarness> StartAsync(FakeGitHubLayout layout = FakeGitHubLayout.Enterprise,
        Func<GitHubSettings, GitHubSettings>? configure = null, TimeProvider? fakeTime = null)
    {
        var gitHub = await FakeGitHub.StartAsync(layout, timeProvider: fakeTime);
        try
        {
            var settings = new GitHubSettings
            {
                ClientId = gitHub.ClientId,
                ClientSecret = gitHub.ClientSecret,
                Hostname = gitHub.Hostname,
                CaCertificatesPem = gitHub.CaCertificatePem,
            };
            settings = configure?.Invoke(settings) ?? settings;
            var handler = GitHubHttp.CreateHandler(settings);
            if (layout == FakeGitHubLayout.GitHubCom)
            {
                // Our "DNS": github.com and api.github.com are the fake, which holds a certificate for both.
                handler.ConnectCallback = gitHub.ConnectAsync;
            }

            var harness = new GitHubTestHarness(gitHub, settings, GitHubHttp.CreateHttpClient(settings, handler));
            harness.Seed();
            return harness;
        }
        catch
        {
            await gitHub.DisposeAsync();
            throw;
        }
    }

    private void Seed()
    {
        GitHub.RegisteredCallbackUrl = RedirectUri;
        Octocat = GitHub.AddUser(583231, "octocat", "The Octocat");
        var hubot = GitHub.AddUser(583232, "hubot");
        GitHub.SignedInUser = Octocat;
        var orgs = MemberOrgIds.Select(id => GitHub.AddOrg(id, $"org-{id}", Octocat)).ToArray();
        GitHub.AddOrg(199, "not-a-member", hubot);
        for (var i = 0; i < MemberTeamIds.Length; i++)
        {
            GitHub.AddTeam(MemberTeamIds[i], orgs[i % orgs.Length], $"team-{MemberTeamIds[i]}", $"Team {MemberTeamIds[i]}", Octocat);
        }

        // A team of one of octocat's orgs that octocat is not in: it must not become one of octocat's groups.
        GitHub.AddTeam(299, orgs[0], "not-my-team", "Not My Team", hubot);
    }

    /// <summary>Authorize as octocat's browser would: returns the pending authorization and the callback's code and state.</summary>
    public async Task<(GitHubPendingAuthorization Pending, string Code, string State)> AuthorizeAsync()
    {
        var request = OAuth.CreateAuthorizationRequest(RedirectUri);
        var callback = await GitHub.AuthorizeAsBrowserAsync(request.AuthorizeUri);
        Assert.StartsWith(RedirectUri + "?", callback.AbsoluteUri, StringComparison.Ordinal);
        return (request.Pending, FakeGitHub.QueryValue(callback, "code")!, FakeGitHub.QueryValue(callback, "state")!);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await GitHub.DisposeAsync();
    }
}

/// <summary>The auth tests' <see cref="CapturingLogger"/>, as the logger type <see cref="GitHubOAuth"/> takes.</summary>
internal sealed class GitHubCapturingLogger : ILogger<GitHubOAuth>
{
    private readonly CapturingLogger _inner = new();

    public string Text => _inner.Text;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => _inner.BeginScope(state);

    public bool IsEnabled(LogLevel logLevel) => _inner.IsEnabled(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        => _inner.Log(logLevel, eventId, state, exception, formatter);
}
