using System.Net;
using System.Text.Json.Nodes;
using Appliance.Api.Security;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Api.Tests;

/// <summary>Rancher's administrator action <c>POST /v3/users/{id}?action=setpassword</c>: RBAC, the policy, the answers.</summary>
public sealed class PasswordSetTests(ApiServerFixture server) : IClassFixture<ApiServerFixture>
{
    private const string Password = "a-new-password-1";

    private static string SetPasswordPath(string userId) => $"/v3/users/{userId}?action=setpassword";

    private async Task<string> CreateUserAsync()
    {
        string userId = "u-" + Guid.NewGuid().ToString("N")[..8];
        await server.IssueTokenAsync(userId);
        return userId;
    }

    private static async Task<(HttpStatusCode Status, JsonObject Body)> PostAsync(HttpClient client, string path, JsonObject body)
    {
        using HttpResponseMessage response = await client.PostAsync(path, ApiServerFixture.Json(body));
        return (response.StatusCode, await ApiServerFixture.ReadObjectAsync(response));
    }

    private async Task<HttpStatusCode> LoginAsync(string username, string password)
    {
        using HttpClient anonymous = server.CreateClient(null);
        using HttpResponseMessage response = await anonymous.PostAsync("/v3-public/localProviders/local?action=login",
            ApiServerFixture.Json(new JsonObject { ["username"] = username, ["password"] = password }));
        return response.StatusCode;
    }

    [Fact]
    public async Task Admin_SetsAPassword_TheUserSignsInWithIt_AndMustChangePasswordIsSetAsAsked()
    {
        string userId = await CreateUserAsync();
        (HttpStatusCode status, JsonObject user) = await PostAsync(server.Client, SetPasswordPath(userId), new JsonObject { ["newPassword"] = Password, ["mustChangePassword"] = true });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(userId, (string?)user["metadata"]!["name"]);
        Assert.True((bool)user["mustChangePassword"]!);
        Assert.DoesNotContain(Password, user.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Created, await LoginAsync(userId, Password));

        // Set again without the flag: the password changes, the flag stays; with false it clears.
        (status, user) = await PostAsync(server.Client, SetPasswordPath(userId), new JsonObject { ["newPassword"] = Password + "x" });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True((bool)user["mustChangePassword"]!);
        Assert.Equal(HttpStatusCode.Created, await LoginAsync(userId, Password + "x"));
        (_, user) = await PostAsync(server.Client, SetPasswordPath(userId), new JsonObject { ["newPassword"] = Password, ["mustChangePassword"] = false });
        Assert.False((bool)user["mustChangePassword"]!);
    }

    [Fact]
    public async Task TooShort_Is422WithTheRule_AndTheMinimumIsTheSetting()
    {
        string userId = await CreateUserAsync();
        (HttpStatusCode status, JsonObject error) = await PostAsync(server.Client, SetPasswordPath(userId), new JsonObject { ["newPassword"] = "short-pw" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Contains("at least 12 characters", (string?)error["message"], StringComparison.Ordinal);

        using (HttpResponseMessage setting = await server.Client.PostAsync("/apis/management.appliance.io/v1/settings",
            ApiServerFixture.Json(new JsonObject { ["metadata"] = new JsonObject { ["name"] = PasswordPolicy.MinimumLengthSetting }, ["value"] = "8" })))
        {
            Assert.Equal(HttpStatusCode.Created, setting.StatusCode);
        }

        try
        {
            Assert.Equal(HttpStatusCode.OK, (await PostAsync(server.Client, SetPasswordPath(userId), new JsonObject { ["newPassword"] = "short-pw" })).Status);
            Assert.Equal(HttpStatusCode.UnprocessableEntity, (await PostAsync(server.Client, SetPasswordPath(userId), new JsonObject { ["newPassword"] = "short" })).Status);
        }
        finally
        {
            await server.Client.DeleteAsync("/apis/management.appliance.io/v1/settings/" + PasswordPolicy.MinimumLengthSetting);
        }
    }

    [Fact]
    public async Task CallerWithoutUpdateOnTheUser_Is403_AndABindingThatGrantsItIsEnough()
    {
        string target = await CreateUserAsync();
        string helperId = await CreateUserAsync();
        using HttpClient helper = server.CreateClient(await server.IssueTokenAsync(helperId));

        (HttpStatusCode status, JsonObject error) = await PostAsync(helper, SetPasswordPath(target), new JsonObject { ["newPassword"] = Password });
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("PermissionDenied", (string?)error["code"]);
        // Refused before the target is looked at: a user that does not exist gets the same answer.
        Assert.Equal(HttpStatusCode.Forbidden, (await PostAsync(helper, SetPasswordPath("u-nobody"), new JsonObject { ["newPassword"] = Password })).Status);

        string role = "password-setter-" + helperId;
        Assert.Equal(HttpStatusCode.Created, (await PostAsync(server.Client, "/apis/management.appliance.io/v1/globalroles", new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = role },
            ["rules"] = new JsonArray(new JsonObject { ["verbs"] = new JsonArray("update"), ["apiGroups"] = new JsonArray("management.appliance.io"), ["resources"] = new JsonArray("users"), ["resourceNames"] = new JsonArray(target) }),
        })).Status);
        Assert.Equal(HttpStatusCode.Created, (await PostAsync(server.Client, "/apis/management.appliance.io/v1/globalrolebindings", new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "grb-" + helperId },
            ["globalRoleName"] = role,
            ["userName"] = helperId,
        })).Status);

        Assert.Equal(HttpStatusCode.OK, (await PostAsync(helper, SetPasswordPath(target), new JsonObject { ["newPassword"] = Password })).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await PostAsync(helper, SetPasswordPath(helperId), new JsonObject { ["newPassword"] = Password })).Status);
        Assert.Equal(HttpStatusCode.Created, await LoginAsync(target, Password));
    }

    [Fact]
    public async Task UnknownUser_DirectoryUser_BadBody_NoToken_AndAnotherAction_AreRefused()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await PostAsync(server.Client, SetPasswordPath("u-zzzzz"), new JsonObject { ["newPassword"] = Password })).Status);

        string directoryUser = "u-" + Guid.NewGuid().ToString("N")[..8];
        using (HttpResponseMessage created = await server.Client.PostAsync("/apis/management.appliance.io/v1/users", ApiServerFixture.Json(new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = directoryUser },
            ["username"] = "dora",
            ["principalIds"] = new JsonArray("openldap_user://5f8e2c1a-0b7d-4c3e-9a61-2d4f8b7c6e10"),
        })))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        (HttpStatusCode status, JsonObject error) = await PostAsync(server.Client, SetPasswordPath(directoryUser), new JsonObject { ["newPassword"] = Password });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Contains("external provider", (string?)error["message"], StringComparison.Ordinal);

        string userId = await CreateUserAsync();
        Assert.Equal(HttpStatusCode.BadRequest, (await PostAsync(server.Client, SetPasswordPath(userId), new JsonObject { ["password"] = Password })).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await PostAsync(server.Client, SetPasswordPath(userId), new JsonObject { ["newPassword"] = Password, ["mustChangePassword"] = "yes" })).Status);
        using HttpClient anonymous = server.CreateClient(null);
        Assert.Equal(HttpStatusCode.Unauthorized, (await PostAsync(anonymous, SetPasswordPath(userId), new JsonObject { ["newPassword"] = Password })).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await PostAsync(server.Client, $"/v3/users/{userId}?action=disable", new JsonObject { ["newPassword"] = Password })).Status);
    }

    [Fact]
    public async Task TheAdminGlobalRole_Exists_AndABindingToItGivesEverything()
    {
        string userId = await CreateUserAsync();
        using HttpClient user = server.CreateClient(await server.IssueTokenAsync(userId));
        using (HttpResponseMessage before = await user.GetAsync("/api/v1/namespaces/appliance-system/secrets"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, before.StatusCode);
        }

        Assert.Equal(HttpStatusCode.Created, (await PostAsync(server.Client, "/apis/management.appliance.io/v1/globalrolebindings", new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "admin-" + userId },
            ["globalRoleName"] = "admin",
            ["userName"] = userId,
        })).Status);
        using HttpResponseMessage after = await user.GetAsync("/api/v1/namespaces/appliance-system/secrets");
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }
}
