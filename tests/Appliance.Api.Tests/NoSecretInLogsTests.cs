using System.Net;
using System.Text.Json.Nodes;
using Appliance.Api.Security;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Api.Tests;

/// <summary>
/// Issue 5's "no secret in any list or log": tokens are issued through every path (local login as json, cookie and
/// kubeconfig, LDAP login, GitHub sign-in, API key, generateKubeconfig), both test-and-enable actions run with their
/// secrets in clear, and wrong passwords are tried; then the captured server log and the audit log are searched for
/// every token, token secret, password, client secret, GitHub access token, code, state and sealed cookie seen.
/// </summary>
[Collection(DirectoryApiCollection.Name)]
public sealed class NoSecretInLogsTests(DirectoryApiFixture fixture)
{
    private const string LocalPassword = "grep-me-local-password-7";
    private const string WrongPassword = "grep-me-wrong-password-8";

    private readonly List<string> _secrets = [LocalPassword, WrongPassword, SlapdFixture.ServiceAccountPassword, .. SlapdFixture.Passwords.Values];

    /// <summary>Remembers a token both whole and as its secret part.</summary>
    private string Issued(string token)
    {
        _secrets.Add(token);
        _secrets.Add(token[(token.IndexOf(':', StringComparison.Ordinal) + 1)..]);
        return token;
    }

    private static string KubeconfigToken(string yaml) => yaml[(yaml.IndexOf("token: \"", StringComparison.Ordinal) + 8)..].Split('"')[0];

    private static HttpRequestMessage Post(string path, JsonObject body, string? bearer = null, string? cookie = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = ApiServerFixture.Json(body) };
        if (bearer is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearer);
        }

        if (cookie is not null)
        {
            request.Headers.Add("Cookie", cookie);
        }

        return request;
    }

    [Fact]
    public async Task EveryIssuedTokenAndEverySecretUsed_IsInNeitherTheServerLogNorTheAudit()
    {
        using HttpClient browser = fixture.Api.CreateRawClient();
        await using FakeGitHub gitHub = await FakeGitHub.StartAsync();
        _secrets.Add(gitHub.ClientSecret);

        // Local: an administrator of its own (GitHub's test and enable links a GitHub user to it).
        string localUser = "u-" + Guid.NewGuid().ToString("N")[..8];
        Issued(await fixture.Api.IssueTokenAsync(localUser));
        await fixture.Api.Services.GetRequiredService<LocalPasswords>().SetAsync(localUser, LocalPassword);
        await fixture.PutAsync("/apis/management.appliance.io/v1/globalrolebindings/grb-" + localUser, new JsonObject
        {
            ["apiVersion"] = "management.appliance.io/v1",
            ["kind"] = "GlobalRoleBinding",
            ["metadata"] = new JsonObject { ["name"] = "grb-" + localUser },
            ["globalRoleName"] = "admin",
            ["userName"] = localUser,
        });
        const string LocalLoginPath = "/v3-public/localProviders/local?action=login";
        using (HttpResponseMessage wrong = await browser.SendAsync(Post(LocalLoginPath, new JsonObject { ["username"] = localUser, ["password"] = WrongPassword })))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        using HttpResponseMessage localJson = await browser.SendAsync(Post(LocalLoginPath, new JsonObject { ["username"] = localUser, ["password"] = LocalPassword }));
        string localToken = Issued((string)(await ApiServerFixture.ReadObjectAsync(localJson))["token"]!);
        using HttpResponseMessage localCookie = await browser.SendAsync(Post(LocalLoginPath, new JsonObject { ["username"] = localUser, ["password"] = LocalPassword, ["responseType"] = "cookie" }));
        Dictionary<string, SetCookie> cookies = SetCookie.All(localCookie);
        Issued(cookies[SessionCookies.SessionCookie].Value);
        _secrets.Add(cookies[SessionCookies.CsrfCookie].Value);
        using HttpResponseMessage localKubeconfig = await browser.SendAsync(Post(LocalLoginPath, new JsonObject { ["username"] = localUser, ["password"] = LocalPassword, ["responseType"] = "kubeconfig" }));
        Issued(KubeconfigToken(await localKubeconfig.Content.ReadAsStringAsync()));

        // generateKubeconfig and an API key with the local session.
        using HttpResponseMessage generated = await browser.SendAsync(Post("/v3/clusters?action=generateKubeconfig", [], localToken));
        Assert.Equal(HttpStatusCode.OK, generated.StatusCode);
        Issued(KubeconfigToken((string)(await ApiServerFixture.ReadObjectAsync(generated))["config"]!));
        using HttpResponseMessage localKey = await browser.SendAsync(Post("/v3/tokens", new JsonObject { ["description"] = "grep key" }, localToken));
        Assert.Equal(HttpStatusCode.Created, localKey.StatusCode);
        Issued((string)(await ApiServerFixture.ReadObjectAsync(localKey))["token"]!);

        // LDAP: test and enable with the service-account password in clear, a wrong password, logins and an API key.
        JsonObject ldapConfig = fixture.OpenLdapFields();
        ldapConfig["serviceAccountPassword"] = SlapdFixture.ServiceAccountPassword;
        using (HttpResponseMessage applied = await browser.SendAsync(Post("/v3/authConfigs/openldap?action=testAndApply",
            new JsonObject { ["ldapConfig"] = ldapConfig, ["username"] = "alice", ["password"] = SlapdFixture.Passwords["alice"] }, localToken)))
        {
            Assert.True(applied.StatusCode == HttpStatusCode.OK, await applied.Content.ReadAsStringAsync());
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await fixture.LoginAsync("openldap", "bob", WrongPassword)).Status);
        (HttpStatusCode ldapStatus, JsonObject ldapLogin) = await fixture.LoginAsync("openldap", "bob", SlapdFixture.Passwords["bob"]);
        Assert.Equal(HttpStatusCode.Created, ldapStatus);
        string ldapToken = Issued((string)ldapLogin["token"]!);
        using HttpResponseMessage ldapKey = await browser.SendAsync(Post("/v3/tokens", [], ldapToken));
        Issued((string)(await ApiServerFixture.ReadObjectAsync(ldapKey))["token"]!);

        // GitHub: test and enable with the client secret in clear (its cookie, code and state), then a sign-in.
        gitHub.RegisteredCallbackUrl = new Uri(fixture.Api.BaseAddress, GitHubSignIn.Path).AbsoluteUri;
        FakeGitHubUser octocat = gitHub.AddUser(583231, "octocat", "The Octocat");
        gitHub.SignedInUser = octocat;
        gitHub.AddOrg(101, "org-101", octocat);
        var githubConfig = new JsonObject
        {
            ["clientId"] = gitHub.ClientId,
            ["clientSecret"] = gitHub.ClientSecret,
            ["hostname"] = gitHub.Hostname,
            ["certificate"] = gitHub.CaCertificatePem,
            ["accessMode"] = "unrestricted",
        };
        using HttpResponseMessage configureTest = await browser.SendAsync(Post("/v3/authConfigs/github?action=configureTest", githubConfig, localToken));
        Assert.True(configureTest.StatusCode == HttpStatusCode.OK, await configureTest.Content.ReadAsStringAsync());
        string testCookie = SetCookie.All(configureTest)[GitHubTestAndApply.PendingCookie].Value;
        _secrets.Add(testCookie);
        Uri testCallback = await gitHub.AuthorizeAsBrowserAsync(new Uri((string)(await ApiServerFixture.ReadObjectAsync(configureTest))["redirectUrl"]!));
        _secrets.Add(FakeGitHub.QueryValue(testCallback, "code")!);
        _secrets.Add(FakeGitHub.QueryValue(testCallback, "state")!);
        using (HttpResponseMessage applied = await browser.SendAsync(Post("/v3/authConfigs/github?action=testAndApply", new JsonObject
        {
            ["githubConfig"] = githubConfig.DeepClone(),
            ["code"] = FakeGitHub.QueryValue(testCallback, "code"),
            ["state"] = FakeGitHub.QueryValue(testCallback, "state"),
            ["enabled"] = true,
        }, localToken, GitHubTestAndApply.PendingCookie + "=" + testCookie)))
        {
            Assert.True(applied.StatusCode == HttpStatusCode.OK, await applied.Content.ReadAsStringAsync());
        }

        try
        {
            using HttpResponseMessage begin = await browser.GetAsync(GitHubSignIn.Path + "?action=authorize");
            string pending = SetCookie.All(begin)[GitHubSignIn.PendingCookie].Value;
            _secrets.Add(pending);
            Uri callback = await gitHub.AuthorizeAsBrowserAsync(begin.Headers.Location!);
            _secrets.Add(FakeGitHub.QueryValue(callback, "code")!);
            _secrets.Add(FakeGitHub.QueryValue(callback, "state")!);
            using HttpResponseMessage gitHubLogin = await browser.SendAsync(Post(GitHubSignIn.Path + "?action=login",
                new JsonObject { ["code"] = FakeGitHub.QueryValue(callback, "code"), ["state"] = FakeGitHub.QueryValue(callback, "state") },
                cookie: GitHubSignIn.PendingCookie + "=" + pending));
            JsonObject gitHubToken = await ApiServerFixture.ReadObjectAsync(gitHubLogin);
            Assert.True(gitHubLogin.StatusCode == HttpStatusCode.Created, gitHubToken.ToJsonString());
            Assert.Equal(localUser, (string?)gitHubToken["userId"]);
            Issued((string)gitHubToken["token"]!);
            foreach (FakeGitHubApiRequest request in gitHub.ApiRequests)
            {
                if (request.Authorization?.Split(' ') is [_, string accessToken])
                {
                    _secrets.Add(accessToken);
                }
            }

            // Listing tokens shows none of them either.
            using HttpResponseMessage listed = await browser.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/v3/tokens") { Headers = { Authorization = new("Bearer", localToken) } });
            string list = await listed.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
            Assert.All(_secrets, secret => Assert.DoesNotContain(secret, list, StringComparison.Ordinal));
        }
        finally
        {
            // The collection's other tests know no GitHub provider.
            await fixture.Api.Client.DeleteAsync("/apis/management.appliance.io/v1/authconfigs/github");
            await fixture.ConfigureOpenLdapAsync();
        }

        // The audit is written off the request path: wait for the GitHub sign-in's line, the last one.
        string audit = "";
        DateTime deadline = DateTime.UtcNow.AddSeconds(10);
        while (!audit.Split('\n').Any(line => line.Contains("\"provider\":\"github\"", StringComparison.Ordinal) && line.Contains("\"outcome\":\"succeeded\"", StringComparison.Ordinal)))
        {
            Assert.True(DateTime.UtcNow < deadline, "the audit lines did not arrive in time");
            await Task.Delay(25);
            audit = await fixture.Api.ReadAuditLogAsync();
        }

        // Every category at Trace is captured; the framework's own request lines (Information and below) carry URLs
        // with the query GitHub's redirect put there (code and state), which the server itself never prints.
        string log = fixture.Api.ServerLogText;
        Assert.Contains("octocat", log, StringComparison.Ordinal);
        Assert.Contains("bob", log, StringComparison.Ordinal);
        Assert.Contains(localUser, audit, StringComparison.Ordinal);
        Assert.True(_secrets.Count > 25, $"only {_secrets.Count} secrets were collected");
        foreach (string secret in _secrets)
        {
            Assert.DoesNotContain(secret, audit, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, log, StringComparison.Ordinal);
        }
    }
}
