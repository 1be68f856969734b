using System.Net;
using System.Text.Json.Nodes;
using Appliance.Api.Security;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Api.Tests;

/// <summary>Rancher-shaped local login: a session token for the right password, the same 401 for everything else.</summary>
public sealed class LocalLoginTests(ApiServerFixture server) : IClassFixture<ApiServerFixture>
{
    private const string LoginPath = "/v3-public/localProviders/local?action=login";

    private async Task<(HttpStatusCode Status, JsonObject Body)> LoginAsync(JsonObject body)
    {
        using HttpClient anonymous = server.CreateClient(null);
        using HttpResponseMessage response = await anonymous.PostAsync(LoginPath, ApiServerFixture.Json(body));
        return (response.StatusCode, await ApiServerFixture.ReadObjectAsync(response));
    }

    private async Task<string> CreateLocalUserAsync(string password, bool enabled = true)
    {
        string userId = "u-" + Guid.NewGuid().ToString("N")[..8];
        await server.IssueTokenAsync(userId, enabled);
        await server.Services.GetRequiredService<LocalPasswords>().SetAsync(userId, password);
        return userId;
    }

    [Fact]
    public async Task BootstrapAdmin_LogsInWithItsFirstPassword_AndTheSessionTokenIsTheAdmin()
    {
        string? password = server.Services.GetRequiredService<SecurityBootstrapper>().BootstrapPassword;
        Assert.False(string.IsNullOrEmpty(password));

        (HttpStatusCode status, JsonObject token) = await LoginAsync(new JsonObject { ["username"] = "admin", ["password"] = password, ["description"] = "test" });
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal("token", (string?)token["type"]);
        Assert.Equal(16 * 3600 * 1000L, (long)token["ttl"]!);
        string bearer = (string)token["token"]!;
        Assert.StartsWith((string)token["name"]! + ":", bearer, StringComparison.Ordinal);

        using HttpClient admin = server.CreateClient(bearer);
        using HttpResponseMessage secrets = await admin.GetAsync("/api/v1/namespaces/appliance-system/secrets");
        Assert.Equal(HttpStatusCode.OK, secrets.StatusCode);

        JsonObject user = await ApiServerFixture.ReadObjectAsync(await server.Client.GetAsync("/apis/management.appliance.io/v1/users/" + (string)token["userId"]!));
        Assert.True((bool)user["mustChangePassword"]!);
    }

    [Fact]
    public async Task WrongPassword_UnknownUser_DisabledUser_AndEmptyPassword_AreTheSame401()
    {
        string userId = await CreateLocalUserAsync("a-long-enough-password");
        string disabled = await CreateLocalUserAsync("another-long-password", enabled: false);
        JsonObject[] attempts =
        [
            new() { ["username"] = userId, ["password"] = "not-the-password" },
            new() { ["username"] = "nobody-" + userId, ["password"] = "a-long-enough-password" },
            new() { ["username"] = disabled, ["password"] = "another-long-password" },
            new() { ["username"] = userId, ["password"] = "" },
        ];
        foreach (JsonObject attempt in attempts)
        {
            (HttpStatusCode status, JsonObject body) = await LoginAsync(attempt);
            Assert.Equal(HttpStatusCode.Unauthorized, status);
            Assert.Equal("authentication failed", (string?)body["message"]);
        }

        (HttpStatusCode ok, _) = await LoginAsync(new JsonObject { ["username"] = userId, ["password"] = "a-long-enough-password" });
        Assert.Equal(HttpStatusCode.Created, ok);
    }

    [Fact]
    public async Task RequestedTtl_IsHonouredUpToTheMaximum_AndABadBodyIs400()
    {
        string userId = await CreateLocalUserAsync("ttl-test-password");
        (_, JsonObject shortToken) = await LoginAsync(new JsonObject { ["username"] = userId, ["password"] = "ttl-test-password", ["ttl"] = 60_000 });
        Assert.Equal(60_000L, (long)shortToken["ttl"]!);
        (_, JsonObject capped) = await LoginAsync(new JsonObject { ["username"] = userId, ["password"] = "ttl-test-password", ["ttl"] = 1_000L * 3600 * 24 * 365 });
        Assert.Equal(90L * 24 * 3600 * 1000, (long)capped["ttl"]!);

        using HttpClient anonymous = server.CreateClient(null);
        using HttpResponseMessage garbage = await anonymous.PostAsync(LoginPath, new StringContent("{not json"));
        Assert.Equal(HttpStatusCode.BadRequest, garbage.StatusCode);
    }

    [Fact]
    public async Task PasswordHash_IsStoredEncryptedInASecret_NeverInTheUser()
    {
        string userId = await CreateLocalUserAsync("stored-where-password");
        byte[] raw = server.Store.Get($"/registry/core/secrets/appliance-system/password-{userId}").Item!.Value;
        Assert.StartsWith("k8s:enc:aesgcm:v1:", System.Text.Encoding.Latin1.GetString(raw), StringComparison.Ordinal);
        string user = System.Text.Encoding.UTF8.GetString(server.Store.Get($"/registry/management.appliance.io/users/{userId}").Item!.Value);
        Assert.DoesNotContain("pbkdf2", user, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Logout_RevokesTheTokenItCarries_AndLogoutAllEveryTokenOfTheUser()
    {
        string userId = await CreateLocalUserAsync("logout-test-password");
        async Task<string> SessionAsync()
        {
            (HttpStatusCode status, JsonObject token) = await LoginAsync(new JsonObject { ["username"] = userId, ["password"] = "logout-test-password" });
            Assert.Equal(HttpStatusCode.Created, status);
            return (string)token["token"]!;
        }

        string first = await SessionAsync();
        string second = await SessionAsync();
        using HttpClient firstClient = server.CreateClient(first);
        using HttpClient secondClient = server.CreateClient(second);

        using (HttpResponseMessage logout = await firstClient.PostAsync("/v3/tokens?action=logout", null))
        {
            Assert.Equal(HttpStatusCode.OK, logout.StatusCode);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await firstClient.GetAsync("/api")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await secondClient.GetAsync("/api")).StatusCode);

        string third = await SessionAsync();
        using (HttpResponseMessage all = await secondClient.PostAsync("/v3/tokens?action=logoutAll", null))
        {
            Assert.Equal(HttpStatusCode.OK, all.StatusCode);
        }

        using HttpClient thirdClient = server.CreateClient(third);
        Assert.Equal(HttpStatusCode.Unauthorized, (await secondClient.GetAsync("/api")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await thirdClient.GetAsync("/api")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/api")).StatusCode);

        using HttpClient anonymous = server.CreateClient(null);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync("/v3/tokens?action=logout", null)).StatusCode);
    }

    [Fact]
    public async Task PasswordHashedWithFewerIterations_StillLogsIn_AndIsRehashedWithTheCurrentCount()
    {
        string userId = await CreateLocalUserAsync("rehash-this-password");
        byte[] salt = System.Security.Cryptography.RandomNumberGenerator.GetBytes(16);
        byte[] weak = System.Security.Cryptography.Rfc2898DeriveBytes.Pbkdf2("rehash-this-password"u8.ToArray(), salt, 1000, System.Security.Cryptography.HashAlgorithmName.SHA512, 64);
        string weakHash = $"$pbkdf2-sha512$i=1000${Convert.ToBase64String(salt)}${Convert.ToBase64String(weak)}";
        ResourceEngine engine = server.Services.GetRequiredService<ResourceEngine>();
        ResourceDefinition secrets = engine.Registry.Find("", "v1", "secrets")!;
        await engine.ReplaceAsync(secrets, LocalPasswords.SystemNamespace, "password-" + userId, secret =>
        {
            secret["stringData"] = new JsonObject { ["hash"] = weakHash };
            return secret;
        });

        (HttpStatusCode status, _) = await LoginAsync(new JsonObject { ["username"] = userId, ["password"] = "rehash-this-password" });
        Assert.Equal(HttpStatusCode.Created, status);

        string stored = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String((string)engine.Find(secrets, LocalPasswords.SystemNamespace, "password-" + userId)!["data"]!["hash"]!));
        Assert.StartsWith("$pbkdf2-sha512$i=210000$", stored, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ChangePassword_NeedsTheCurrentOne_AndALongEnoughNewOne_ThenOnlyTheNewOneLogsIn()
    {
        string userId = await CreateLocalUserAsync("first-password-here");
        (_, JsonObject session) = await LoginAsync(new JsonObject { ["username"] = userId, ["password"] = "first-password-here" });
        using HttpClient user = server.CreateClient((string)session["token"]!);

        async Task<HttpStatusCode> ChangeAsync(string current, string replacement)
        {
            using HttpResponseMessage response = await user.PostAsync("/v3/users?action=changepassword",
                ApiServerFixture.Json(new JsonObject { ["currentPassword"] = current, ["newPassword"] = replacement }));
            return response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.Forbidden, await ChangeAsync("not-the-current-one", "second-password-here"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, await ChangeAsync("first-password-here", "short"));
        Assert.Equal(HttpStatusCode.OK, await ChangeAsync("first-password-here", "second-password-here"));

        Assert.Equal(HttpStatusCode.Unauthorized, (await LoginAsync(new JsonObject { ["username"] = userId, ["password"] = "first-password-here" })).Status);
        Assert.Equal(HttpStatusCode.Created, (await LoginAsync(new JsonObject { ["username"] = userId, ["password"] = "second-password-here" })).Status);
        JsonObject stored = await ApiServerFixture.ReadObjectAsync(await server.Client.GetAsync("/apis/management.appliance.io/v1/users/" + userId));
        Assert.False((bool)stored["mustChangePassword"]!);
    }
}
