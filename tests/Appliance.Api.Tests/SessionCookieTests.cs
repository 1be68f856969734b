using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Appliance.Api.Security;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Api.Tests;

/// <summary>An API server that writes a CA into the kubeconfigs its logins hand out.</summary>
public sealed class SessionApiServer : ApiServerFixture
{
    public static readonly string CaPem = CreateCaPem();

    protected override void ConfigureApi(ApiOptions options) => options.CaCertificatePem = CaPem;

    private static string CreateCaPem()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=session-tests-ca", key, HashAlgorithmName.SHA256);
        using X509Certificate2 certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        return certificate.ExportCertificatePem();
    }
}

/// <summary>
/// The browser session (issue 5): <c>responseType: cookie</c> sets <c>R_SESS</c> and <c>CSRF</c>; the cookie
/// authenticates every API route, a state-changing request with it needs <c>X-API-CSRF</c>; logout clears both;
/// <c>responseType: kubeconfig</c> answers a kubeconfig of the clusters the user may reach.
/// </summary>
public sealed class SessionCookieTests(SessionApiServer server) : IClassFixture<SessionApiServer>, IDisposable
{
    private const string LoginPath = "/v3-public/localProviders/local?action=login";
    private const string Password = "session-cookie-password";
    private const string ReviewPath = "/apis/authentication.k8s.io/v1/selfsubjectreviews";

    private readonly HttpClient _browser = server.CreateRawClient();

    public void Dispose() => _browser.Dispose();

    private async Task<string> CreateLocalUserAsync()
    {
        string userId = "u-" + Guid.NewGuid().ToString("N")[..8];
        await server.IssueTokenAsync(userId);
        await server.Services.GetRequiredService<LocalPasswords>().SetAsync(userId, Password);
        return userId;
    }

    private async Task<HttpResponseMessage> LoginAsync(string userId, string responseType)
        => await _browser.PostAsync(LoginPath, ApiServerFixture.Json(new JsonObject { ["username"] = userId, ["password"] = Password, ["responseType"] = responseType }));

    /// <summary>A cookie login: the session and CSRF values.</summary>
    private async Task<(string Session, string Csrf)> CookieLoginAsync(string userId)
    {
        using HttpResponseMessage response = await LoginAsync(userId, "cookie");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Dictionary<string, SetCookie> cookies = SetCookie.All(response);
        return (cookies[SessionCookies.SessionCookie].Value, cookies[SessionCookies.CsrfCookie].Value);
    }

    private static HttpRequestMessage Request(HttpMethod method, string path, string? session, string? csrfCookie, string? csrfHeader, JsonObject? body = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = ApiServerFixture.Json(body);
        }

        var cookies = new List<string>();
        if (session is not null)
        {
            cookies.Add(SessionCookies.SessionCookie + "=" + session);
        }

        if (csrfCookie is not null)
        {
            cookies.Add(SessionCookies.CsrfCookie + "=" + csrfCookie);
        }

        if (cookies.Count > 0)
        {
            request.Headers.Add("Cookie", string.Join("; ", cookies));
        }

        if (csrfHeader is not null)
        {
            request.Headers.Add(SessionCookies.CsrfHeader, csrfHeader);
        }

        return request;
    }

    private async Task<HttpStatusCode> SendAsync(HttpMethod method, string path, string? session, string? csrfCookie, string? csrfHeader, JsonObject? body = null)
    {
        using HttpRequestMessage request = Request(method, path, session, csrfCookie, csrfHeader, body);
        using HttpResponseMessage response = await _browser.SendAsync(request);
        return response.StatusCode;
    }

    private static JsonObject Review() => new() { ["apiVersion"] = "authentication.k8s.io/v1", ["kind"] = "SelfSubjectReview" };

    [Fact]
    public async Task CookieLogin_SetsAnHttpOnlySecureStrictSession_AndAReadableCsrfCookie_WithoutTheTokenInTheBody()
    {
        string userId = await CreateLocalUserAsync();
        using HttpResponseMessage response = await LoginAsync(userId, "cookie");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Dictionary<string, SetCookie> cookies = SetCookie.All(response);
        SetCookie session = cookies[SessionCookies.SessionCookie];
        SetCookie csrf = cookies[SessionCookies.CsrfCookie];
        Assert.Matches("^token-[a-z0-9]{5}:[A-Za-z0-9]+$", session.Value);
        Assert.True(session.Has("HttpOnly") && session.Has("Secure"));
        Assert.Equal("Strict", session["SameSite"]);
        Assert.Equal("/", session["Path"]);
        Assert.False(session.Has("Max-Age") || session.Has("Expires"), "a browser-session cookie, as Rancher's");
        Assert.False(csrf.Has("HttpOnly"), "the UI's scripts read the CSRF cookie to copy it into the header");
        Assert.True(csrf.Has("Secure"));
        Assert.True(csrf.Value.Length >= 32);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());

        JsonObject body = await ApiServerFixture.ReadObjectAsync(response);
        Assert.Equal(userId, (string?)body["userId"]);
        Assert.Null(body["token"]);
        Assert.DoesNotContain(session.Value.Split(':')[1], body.ToJsonString(), StringComparison.Ordinal);

        // A second login gets another CSRF value.
        (_, string other) = await CookieLoginAsync(userId);
        Assert.NotEqual(csrf.Value, other);

        // Another site's form can post a JSON-looking text/plain body, but not application/json: no cookie for it.
        using var form = new StringContent($"{{\"username\":\"{userId}\",\"password\":\"{Password}\",\"responseType\":\"cookie\"}}", System.Text.Encoding.UTF8, "text/plain");
        using HttpResponseMessage forged = await _browser.PostAsync(LoginPath, form);
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.False(SetCookie.All(forged).ContainsKey(SessionCookies.SessionCookie));
    }

    [Fact]
    public async Task TheCookie_AuthenticatesReads_AndAStateChangingRequestNeedsTheCsrfHeaderEqualToTheCookie()
    {
        string userId = await CreateLocalUserAsync();
        (string session, string csrf) = await CookieLoginAsync(userId);

        Assert.Equal(HttpStatusCode.OK, await SendAsync(HttpMethod.Get, "/api", session, null, null));
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(HttpMethod.Get, "/api", null, csrf, null));
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(HttpMethod.Get, "/api", session[..^1] + (session[^1] == 'a' ? 'b' : 'a'), null, null));

        // Without the header, with another value, without the cookie to compare to, or the header twice: a clear 403.
        using (HttpRequestMessage missing = Request(HttpMethod.Post, ReviewPath, session, csrf, null, Review()))
        using (HttpResponseMessage refused = await _browser.SendAsync(missing))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            JsonObject status = await ApiServerFixture.ReadObjectAsync(refused);
            Assert.Equal("Status", (string?)status["kind"]);
            Assert.Contains("X-API-CSRF", (string?)status["message"], StringComparison.Ordinal);
        }

        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(HttpMethod.Post, ReviewPath, session, csrf, csrf[..^1] + (csrf[^1] == 'A' ? 'B' : 'A'), Review()));
        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(HttpMethod.Post, ReviewPath, session, null, csrf, Review()));
        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(HttpMethod.Post, ReviewPath, session, "", "", Review()));
        using (HttpRequestMessage twice = Request(HttpMethod.Post, ReviewPath, session, csrf, csrf, Review()))
        {
            twice.Headers.Add(SessionCookies.CsrfHeader, csrf);
            using HttpResponseMessage refused = await _browser.SendAsync(twice);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        foreach (HttpMethod method in new[] { HttpMethod.Put, HttpMethod.Patch, HttpMethod.Delete })
        {
            // Refused for the missing header before RBAC is asked (the user may not write configmaps either).
            using HttpRequestMessage write = Request(method, "/api/v1/namespaces/default/configmaps/x", session, csrf, null);
            using HttpResponseMessage refused = await _browser.SendAsync(write);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Contains("X-API-CSRF", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // With the header the request is served as the user.
        using (HttpRequestMessage allowed = Request(HttpMethod.Post, ReviewPath, session, csrf, csrf, Review()))
        using (HttpResponseMessage reviewed = await _browser.SendAsync(allowed))
        {
            Assert.Equal(HttpStatusCode.Created, reviewed.StatusCode);
            Assert.Equal(userId, (string?)(await ApiServerFixture.ReadObjectAsync(reviewed))["status"]!["userInfo"]!["username"]);
        }

        // A bearer token needs no CSRF header: a browser never sends one by itself.
        Assert.Equal(HttpStatusCode.Created, (await server.Client.PostAsync(ReviewPath, ApiServerFixture.Json(Review()))).StatusCode);

        // The v3 actions take the cookie under the same rule.
        JsonObject change = new() { ["currentPassword"] = Password, ["newPassword"] = Password + "-2" };
        using (HttpRequestMessage forged = Request(HttpMethod.Post, "/v3/users?action=changepassword", session, csrf, null, change))
        using (HttpResponseMessage refused = await _browser.SendAsync(forged))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Equal("InvalidCSRFToken", (string?)(await ApiServerFixture.ReadObjectAsync(refused))["code"]);
        }
    }

    [Fact]
    public async Task AnAuthorizationHeader_WinsOverTheCookie()
    {
        string userId = await CreateLocalUserAsync();
        (string session, _) = await CookieLoginAsync(userId);
        using HttpRequestMessage request = Request(HttpMethod.Get, "/api", session, null, null);
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "token-zzzzz:not-a-secret");
        using HttpResponseMessage response = await _browser.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task LogoutWithTheCookie_NeedsTheCsrfHeader_ClearsBothCookies_AndEndsTheSession()
    {
        string userId = await CreateLocalUserAsync();
        (string session, string csrf) = await CookieLoginAsync(userId);

        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(HttpMethod.Post, "/v3/tokens?action=logout", session, csrf, null));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(HttpMethod.Get, "/api", session, null, null));

        using (HttpRequestMessage logout = Request(HttpMethod.Post, "/v3/tokens?action=logout", session, csrf, csrf))
        using (HttpResponseMessage response = await _browser.SendAsync(logout))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Dictionary<string, SetCookie> cleared = SetCookie.All(response);
            Assert.True(cleared[SessionCookies.SessionCookie].Deletes);
            Assert.Equal("", cleared[SessionCookies.SessionCookie].Value);
            Assert.True(cleared[SessionCookies.CsrfCookie].Deletes);
            Assert.Equal("/", cleared[SessionCookies.SessionCookie]["Path"]);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(HttpMethod.Get, "/api", session, null, null));
        // The stale cookie still logs out cleanly: the browser drops it.
        using HttpRequestMessage again = Request(HttpMethod.Post, "/v3/tokens?action=logout", session, csrf, csrf);
        using HttpResponseMessage stale = await _browser.SendAsync(again);
        Assert.Equal(HttpStatusCode.Unauthorized, stale.StatusCode);
        Assert.True(SetCookie.All(stale)[SessionCookies.SessionCookie].Deletes);
    }

    [Fact]
    public async Task KubeconfigLogin_ListsTheClustersTheUserMayReach_WithAThirtyDayKubeconfigToken()
    {
        string userId = await CreateLocalUserAsync();
        string reachable = "c-" + Guid.NewGuid().ToString("N")[..8];
        string other = "c-" + Guid.NewGuid().ToString("N")[..8];
        foreach (string cluster in new[] { reachable, other })
        {
            using HttpResponseMessage created = await server.Client.PostAsync("/apis/management.appliance.io/v1/clusters",
                ApiServerFixture.Json(new JsonObject { ["metadata"] = new JsonObject { ["name"] = cluster }, ["spec"] = new JsonObject { ["displayName"] = cluster } }));
            Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        }

        using (HttpResponseMessage bound = await server.Client.PostAsync("/apis/management.appliance.io/v1/clusterroletemplatebindings", ApiServerFixture.Json(new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "crtb-" + reachable },
            ["clusterName"] = reachable,
            ["roleTemplateName"] = "cluster-member",
            ["userName"] = userId,
        })))
        {
            Assert.True(bound.IsSuccessStatusCode, await bound.Content.ReadAsStringAsync());
        }

        using HttpResponseMessage response = await LoginAsync(userId, "kubeconfig");
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("application/yaml", response.Content.Headers.ContentType?.MediaType);
        string yaml = await response.Content.ReadAsStringAsync();
        string path = Path.Combine(Path.GetTempPath(), "session-kubeconfig-" + Guid.NewGuid().ToString("N"));
        try
        {
            await File.WriteAllTextAsync(path, yaml);
            // kubectl reads it: one context, the reachable cluster, through this server's proxy path, with the CA.
            Assert.Equal(reachable, (await KubectlConfigAsync(path, "get-contexts -o name")).Trim());
            Assert.Equal($"{server.BaseAddress.AbsoluteUri.TrimEnd('/').Replace("http://", "https://", StringComparison.Ordinal)}/k8s/clusters/{reachable}",
                await KubectlConfigAsync(path, "view -o jsonpath={.clusters[0].cluster.server}"));
            Assert.Equal(SessionApiServer.CaPem, System.Text.Encoding.ASCII.GetString(Convert.FromBase64String(
                await KubectlConfigAsync(path, "view --raw -o jsonpath={.clusters[0].cluster.certificate-authority-data}"))));
            string token = await KubectlConfigAsync(path, "view --raw -o jsonpath={.users[0].user.token}");

            // The token is the user's, a kubeconfig token of 30 days.
            JsonObject stored = await ApiServerFixture.ReadObjectAsync(await server.Client.GetAsync("/apis/management.appliance.io/v1/tokens/" + token.Split(':')[0]));
            Assert.Equal("kubeconfig", (string?)stored["type"]);
            Assert.Equal(userId, (string?)stored["userId"]);
            TimeSpan left = DateTimeOffset.Parse((string)stored["expiresAt"]!, CultureInfo.InvariantCulture) - DateTimeOffset.UtcNow;
            Assert.InRange(left, TimeSpan.FromDays(30) - TimeSpan.FromMinutes(5), TimeSpan.FromDays(30));
            using HttpClient client = server.CreateClient(token);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api")).StatusCode);
        }
        finally
        {
            File.Delete(path);
        }

        // A user who may reach no cluster still gets a kubeconfig kubectl reads (empty lists, inline).
        string lonely = await CreateLocalUserAsync();
        using HttpResponseMessage empty = await LoginAsync(lonely, "kubeconfig");
        string emptyYaml = await empty.Content.ReadAsStringAsync();
        Assert.Contains("clusters: []\n", emptyYaml, StringComparison.Ordinal);
        string emptyPath = Path.Combine(Path.GetTempPath(), "session-kubeconfig-" + Guid.NewGuid().ToString("N"));
        try
        {
            await File.WriteAllTextAsync(emptyPath, emptyYaml);
            Assert.Equal("", (await KubectlConfigAsync(emptyPath, "get-contexts -o name")).Trim());
        }
        finally
        {
            File.Delete(emptyPath);
        }
    }

    /// <summary><c>kubectl config ...</c> on a kubeconfig file; its standard output (the command must succeed).</summary>
    private static async Task<string> KubectlConfigAsync(string kubeconfig, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(ApiServerFixture.Kubectl, $"--kubeconfig {kubeconfig} config {arguments}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, await stderr);
        return await stdout;
    }
}
