using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Appliance.Api.Security;
using Appliance.Auth;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Api.Tests;

/// <summary>
/// The caller's own tokens at <c>/v3/tokens</c> (API keys: create, list, read, revoke) and
/// <c>/v3/clusters[/{id}]?action=generateKubeconfig</c>, each with a bearer token and with the browser session
/// (whose state-changing calls need the CSRF header).
/// </summary>
public sealed class UserTokensTests(SessionApiServer server) : IClassFixture<SessionApiServer>, IDisposable
{
    private const string Password = "user-tokens-password";

    private readonly HttpClient _browser = server.CreateRawClient();

    public void Dispose() => _browser.Dispose();

    private async Task<(string UserId, string Token)> CreateUserAsync()
    {
        string userId = "u-" + Guid.NewGuid().ToString("N")[..8];
        string token = await server.IssueTokenAsync(userId);
        await server.Services.GetRequiredService<LocalPasswords>().SetAsync(userId, Password);
        return (userId, token);
    }

    private async Task<(string Session, string Csrf)> CookieLoginAsync(string userId)
    {
        using HttpResponseMessage response = await _browser.PostAsync("/v3-public/localProviders/local?action=login",
            ApiServerFixture.Json(new JsonObject { ["username"] = userId, ["password"] = Password, ["responseType"] = "cookie" }));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Dictionary<string, SetCookie> cookies = SetCookie.All(response);
        return (cookies[SessionCookies.SessionCookie].Value, cookies[SessionCookies.CsrfCookie].Value);
    }

    /// <summary>A request of the browser session; <paramref name="csrf"/> null leaves the header out.</summary>
    private async Task<HttpResponseMessage> CookieSendAsync(HttpMethod method, string path, (string Session, string Csrf) cookies, bool withCsrfHeader, JsonObject? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Add("Cookie", $"{SessionCookies.SessionCookie}={cookies.Session}; {SessionCookies.CsrfCookie}={cookies.Csrf}");
        if (withCsrfHeader)
        {
            request.Headers.Add(SessionCookies.CsrfHeader, cookies.Csrf);
        }

        if (body is not null)
        {
            request.Content = ApiServerFixture.Json(body);
        }

        return await _browser.SendAsync(request);
    }

    private async Task<JsonObject> StoredTokenAsync(string name)
        => await ApiServerFixture.ReadObjectAsync(await server.Client.GetAsync("/apis/management.appliance.io/v1/tokens/" + name));

    private static TimeSpan Left(JsonObject token) => DateTimeOffset.Parse((string)token["expiresAt"]!, CultureInfo.InvariantCulture) - DateTimeOffset.UtcNow;

    [Fact]
    public async Task CreateApiKey_ReturnsTheSecretOnce_KeepsTheDescription_AndTheKeyAuthenticates()
    {
        (string userId, string token) = await CreateUserAsync();
        using HttpClient client = server.CreateClient(token);

        using HttpResponseMessage created = await client.PostAsync("/v3/tokens", ApiServerFixture.Json(new JsonObject { ["description"] = "ci pipeline", ["ttl"] = 3_600_000 }));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        JsonObject body = await ApiServerFixture.ReadObjectAsync(created);
        string key = (string)body["token"]!;
        Assert.True(ApiToken.TryParse(key, out ApiToken parsed));
        Assert.Equal(parsed.Name, (string?)body["name"]);
        Assert.Equal("apikey", (string?)body["kind"]);
        Assert.Equal("ci pipeline", (string?)body["description"]);
        Assert.Equal(userId, (string?)body["userId"]);
        Assert.Equal("local", (string?)body["authProvider"]);
        Assert.False((bool)body["current"]!);
        Assert.Null(body["hash"]);

        JsonObject stored = await StoredTokenAsync(parsed.Name);
        Assert.Equal("apikey", (string?)stored["type"]);
        Assert.Equal("ci pipeline", (string?)stored["description"]);
        Assert.DoesNotContain(parsed.Secret, stored.ToJsonString(), StringComparison.Ordinal);
        Assert.InRange(Left(stored), TimeSpan.FromMinutes(55), TimeSpan.FromHours(1));

        using HttpClient withKey = server.CreateClient(key);
        JsonObject review = await ApiServerFixture.ReadObjectAsync(await withKey.PostAsync("/apis/authentication.k8s.io/v1/selfsubjectreviews",
            ApiServerFixture.Json(new JsonObject { ["apiVersion"] = "authentication.k8s.io/v1", ["kind"] = "SelfSubjectReview" })));
        Assert.Equal(userId, (string?)review["status"]?["userInfo"]?["username"]);

        // Without a ttl, or with one above auth-token-max-ttl-minutes (90 days), the key lives the maximum.
        foreach (JsonObject ask in new[] { new JsonObject(), new JsonObject { ["ttl"] = (long)TimeSpan.FromDays(365).TotalMilliseconds } })
        {
            JsonObject longest = await ApiServerFixture.ReadObjectAsync(await client.PostAsync("/v3/tokens", ApiServerFixture.Json(ask)));
            Assert.InRange(Left(await StoredTokenAsync((string)longest["name"]!)), TimeSpan.FromDays(90) - TimeSpan.FromMinutes(5), TimeSpan.FromDays(90));
            Assert.InRange((long)longest["ttl"]!, (long)TimeSpan.FromDays(90).TotalMilliseconds - 2000, (long)TimeSpan.FromDays(90).TotalMilliseconds);
        }
    }

    [Fact]
    public async Task ListAndGet_ShowOnlyTheCallersTokens_WithoutSecretOrHash()
    {
        (string userId, string token) = await CreateUserAsync();
        (_, string otherToken) = await CreateUserAsync();
        using HttpClient client = server.CreateClient(token);
        using HttpClient other = server.CreateClient(otherToken);
        string key = (string)(await ApiServerFixture.ReadObjectAsync(await client.PostAsync("/v3/tokens", ApiServerFixture.Json(new JsonObject { ["description"] = "listed" }))))["token"]!;
        string keyName = key.Split(':')[0];

        using HttpResponseMessage listed = await client.GetAsync("/v3/tokens");
        Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
        string text = await listed.Content.ReadAsStringAsync();
        JsonObject list = (JsonObject)JsonNode.Parse(text)!;
        Assert.Equal("collection", (string?)list["type"]);
        JsonObject[] items = [.. ((JsonArray)list["data"]!).Cast<JsonObject>()];
        Assert.Equal(new[] { keyName, token.Split(':')[0] }.Order(StringComparer.Ordinal), items.Select(item => (string)item["name"]!).Order(StringComparer.Ordinal));
        Assert.All(items, item => Assert.Equal(userId, (string?)item["userId"]));
        Assert.True((bool)items.Single(item => (string?)item["name"] == token.Split(':')[0])["current"]!);
        Assert.DoesNotContain("hash", text, StringComparison.Ordinal);
        Assert.DoesNotContain(key.Split(':')[1], text, StringComparison.Ordinal);
        Assert.DoesNotContain(token.Split(':')[1], text, StringComparison.Ordinal);
        foreach (JsonObject item in items)
        {
            string hash = (string)(await StoredTokenAsync((string)item["name"]!))["hash"]!;
            Assert.DoesNotContain(hash, text, StringComparison.Ordinal);
        }

        JsonObject one = await ApiServerFixture.ReadObjectAsync(await client.GetAsync("/v3/tokens/" + keyName));
        Assert.Equal("listed", (string?)one["description"]);
        Assert.Null(one["token"]);

        // Another user sees neither the key in a list nor by name.
        string otherList = await other.GetStringAsync("/v3/tokens");
        Assert.DoesNotContain(keyName, otherList, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync("/v3/tokens/" + keyName)).StatusCode);

        using HttpClient anonymous = server.CreateClient(null);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/v3/tokens")).StatusCode);
    }

    [Fact]
    public async Task Delete_RevokesTheCallersToken_AnotherUsersIsNotFound()
    {
        (_, string token) = await CreateUserAsync();
        (_, string otherToken) = await CreateUserAsync();
        using HttpClient client = server.CreateClient(token);
        using HttpClient other = server.CreateClient(otherToken);
        string key = (string)(await ApiServerFixture.ReadObjectAsync(await client.PostAsync("/v3/tokens", ApiServerFixture.Json(new JsonObject()))))["token"]!;
        string keyName = key.Split(':')[0];
        using HttpClient withKey = server.CreateClient(key);
        Assert.Equal(HttpStatusCode.OK, (await withKey.GetAsync("/api")).StatusCode);

        Assert.Equal(HttpStatusCode.NotFound, (await other.DeleteAsync("/v3/tokens/" + keyName)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await withKey.GetAsync("/api")).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync("/v3/tokens/" + keyName)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await withKey.GetAsync("/api")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.DeleteAsync("/v3/tokens/" + keyName)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.DeleteAsync("/v3/tokens/not-a-token-name")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api")).StatusCode);
    }

    [Fact]
    public async Task BadCreateBodies_AreRancherShapedErrors()
    {
        (_, string token) = await CreateUserAsync();
        using HttpClient client = server.CreateClient(token);
        (string Body, HttpStatusCode Status)[] cases =
        [
            ("not json", HttpStatusCode.BadRequest),
            ("[1]", HttpStatusCode.BadRequest),
            ("{\"ttl\":\"soon\"}", HttpStatusCode.UnprocessableEntity),
            ("{\"ttl\":-1}", HttpStatusCode.UnprocessableEntity),
            ("{\"ttl\":1.5}", HttpStatusCode.UnprocessableEntity),
            ("{\"description\":7}", HttpStatusCode.UnprocessableEntity),
            ("{\"description\":\"" + new string('d', UserTokens.MaximumDescriptionLength + 1) + "\"}", HttpStatusCode.UnprocessableEntity),
        ];
        string before = await client.GetStringAsync("/v3/tokens");
        foreach ((string body, HttpStatusCode status) in cases)
        {
            using HttpResponseMessage response = await client.PostAsync("/v3/tokens", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(status, response.StatusCode);
            JsonObject error = await ApiServerFixture.ReadObjectAsync(response);
            Assert.Equal("error", (string?)error["type"]);
            Assert.False(string.IsNullOrEmpty((string?)error["message"]));
        }

        Assert.Equal(((JsonArray)JsonNode.Parse(before)!["data"]!).Count, ((JsonArray)JsonNode.Parse(await client.GetStringAsync("/v3/tokens"))!["data"]!).Count);
    }

    [Fact]
    public async Task TheBrowserSession_CreatesListsAndDeletesKeys_StateChangingCallsNeedTheCsrfHeader()
    {
        (string userId, _) = await CreateUserAsync();
        (string Session, string Csrf) cookies = await CookieLoginAsync(userId);

        using (HttpResponseMessage refused = await CookieSendAsync(HttpMethod.Post, "/v3/tokens", cookies, withCsrfHeader: false, new JsonObject { ["description"] = "x" }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        using HttpResponseMessage created = await CookieSendAsync(HttpMethod.Post, "/v3/tokens", cookies, withCsrfHeader: true, new JsonObject { ["description"] = "from the UI" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        string keyName = (string)(await ApiServerFixture.ReadObjectAsync(created))["name"]!;

        // A read needs no CSRF header.
        using (HttpResponseMessage listed = await CookieSendAsync(HttpMethod.Get, "/v3/tokens", cookies, withCsrfHeader: false))
        {
            Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
            Assert.Contains(keyName, await listed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (HttpResponseMessage refused = await CookieSendAsync(HttpMethod.Delete, "/v3/tokens/" + keyName, cookies, withCsrfHeader: false))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        Assert.NotNull((await StoredTokenAsync(keyName))["hash"]);
        using HttpResponseMessage deleted = await CookieSendAsync(HttpMethod.Delete, "/v3/tokens/" + keyName, cookies, withCsrfHeader: true);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await server.Client.GetAsync("/apis/management.appliance.io/v1/tokens/" + keyName)).StatusCode);
    }

    private async Task<string> CreateClusterAsync()
    {
        string cluster = "c-" + Guid.NewGuid().ToString("N")[..8];
        using HttpResponseMessage created = await server.Client.PostAsync("/apis/management.appliance.io/v1/clusters",
            ApiServerFixture.Json(new JsonObject { ["metadata"] = new JsonObject { ["name"] = cluster }, ["spec"] = new JsonObject { ["displayName"] = cluster } }));
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        return cluster;
    }

    private async Task BindAsync(string cluster, string userId)
    {
        using HttpResponseMessage bound = await server.Client.PostAsync("/apis/management.appliance.io/v1/clusterroletemplatebindings", ApiServerFixture.Json(new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "crtb-" + cluster + "-" + userId },
            ["clusterName"] = cluster,
            ["roleTemplateName"] = "cluster-member",
            ["userName"] = userId,
        }));
        Assert.True(bound.IsSuccessStatusCode, await bound.Content.ReadAsStringAsync());
    }

    /// <summary>The token in a generateKubeconfig answer, after checking the answer's shape.</summary>
    private static async Task<(string Token, string Config)> KubeconfigTokenAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonObject body = await ApiServerFixture.ReadObjectAsync(response);
        Assert.Equal("generateKubeconfigOutput", (string?)body["type"]);
        string config = (string)body["config"]!;
        return (config[(config.IndexOf("token: \"", StringComparison.Ordinal) + 8)..].Split('"')[0], config);
    }

    [Fact]
    public async Task GenerateKubeconfig_WorksWithTheBrowserSessionAndItsCsrfHeader_AsWithABearerToken()
    {
        (string userId, string token) = await CreateUserAsync();
        string reachable = await CreateClusterAsync();
        string other = await CreateClusterAsync();
        await BindAsync(reachable, userId);
        (string Session, string Csrf) cookies = await CookieLoginAsync(userId);

        using (HttpResponseMessage refused = await CookieSendAsync(HttpMethod.Post, $"/v3/clusters/{reachable}?action=generateKubeconfig", cookies, withCsrfHeader: false))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Equal("InvalidCSRFToken", (string?)(await ApiServerFixture.ReadObjectAsync(refused))["code"]);
        }

        using (HttpResponseMessage one = await CookieSendAsync(HttpMethod.Post, $"/v3/clusters/{reachable}?action=generateKubeconfig", cookies, withCsrfHeader: true))
        {
            (string kubeconfigToken, string config) = await KubeconfigTokenAsync(one);
            Assert.Contains($"/k8s/clusters/{reachable}", config, StringComparison.Ordinal);
            JsonObject stored = await StoredTokenAsync(kubeconfigToken.Split(':')[0]);
            Assert.Equal("kubeconfig", (string?)stored["type"]);
            Assert.Equal(userId, (string?)stored["userId"]);
            Assert.InRange(Left(stored), TimeSpan.FromDays(30) - TimeSpan.FromMinutes(5), TimeSpan.FromDays(30));
            using HttpClient client = server.CreateClient(kubeconfigToken);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api")).StatusCode);
        }

        // Every reachable cluster and no other, with the cookie as with the bearer token.
        using (HttpResponseMessage all = await CookieSendAsync(HttpMethod.Post, "/v3/clusters?action=generateKubeconfig", cookies, withCsrfHeader: true))
        {
            (_, string config) = await KubeconfigTokenAsync(all);
            Assert.Contains($"/k8s/clusters/{reachable}", config, StringComparison.Ordinal);
            Assert.DoesNotContain(other, config, StringComparison.Ordinal);
        }

        using HttpClient bearer = server.CreateClient(token);
        (_, string bearerConfig) = await KubeconfigTokenAsync(await bearer.PostAsync("/v3/clusters?action=generateKubeconfig", null));
        Assert.Contains($"/k8s/clusters/{reachable}", bearerConfig, StringComparison.Ordinal);

        // A cluster the caller may not use is not found, as one that does not exist; no credential is a 401.
        Assert.Equal(HttpStatusCode.NotFound, (await bearer.PostAsync($"/v3/clusters/{other}?action=generateKubeconfig", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bearer.PostAsync("/v3/clusters/c-missing?action=generateKubeconfig", null)).StatusCode);
        using HttpClient anonymous = server.CreateClient(null);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync($"/v3/clusters/{reachable}?action=generateKubeconfig", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bearer.PostAsync($"/v3/clusters/{reachable}?action=other", null)).StatusCode);
    }
}
