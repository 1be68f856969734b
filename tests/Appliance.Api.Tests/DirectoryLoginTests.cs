using System.Net;
using System.Text.Json.Nodes;
using Appliance.Api.Security;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Api.Tests;

/// <summary>
/// OpenLDAP sign-in through the API (<c>POST /v3-public/openLdapProviders/openldap?action=login</c>) against a
/// real slapd: Users keyed by the stable principal, groups from the directory, one 401 for every refusal, 503
/// when the directory cannot answer, access modes.
/// </summary>
[Collection(DirectoryApiCollection.Name)]
public sealed class DirectoryLoginTests(DirectoryApiFixture fixture)
{
    private SlapdFixture Slapd => fixture.Slapd;

    private async Task<JsonObject> LoginOkAsync(string username, string password)
    {
        (HttpStatusCode status, JsonObject body) = await fixture.LoginAsync("openldap", username, password);
        Assert.True(status == HttpStatusCode.Created, $"{status}: {body.ToJsonString()}");
        return body;
    }

    [Fact]
    public async Task FirstLogin_CreatesAUserKeyedByEntryUuid_WithTheDirectorysNamesDnAndNestedGroups()
    {
        await fixture.ConfigureOpenLdapAsync();

        JsonObject token = await LoginOkAsync("alice", SlapdFixture.Passwords["alice"]);

        Assert.Equal("openldap", (string?)token["authProvider"]);
        Assert.Equal(16 * 3600 * 1000L, (long)token["ttl"]!);
        string userId = (string)token["userId"]!;
        Assert.Matches("^u-[a-z0-9]{5}$", userId);
        JsonObject user = await fixture.GetUserAsync(userId);
        Assert.Equal([fixture.UserPrincipal("alice")], DirectoryApiFixture.Strings(user["principalIds"]));
        Assert.Equal("alice", (string?)user["username"]);
        Assert.Equal("Alice Liddell", (string?)user["displayName"]);
        Assert.Equal(SlapdFixture.PersonDn("alice"), (string?)user["metadata"]!["annotations"]![UserAccounts.DistinguishedNameAnnotation]);
        string[] groups = [fixture.GroupPrincipal("developers"), fixture.GroupPrincipal("engineering"), fixture.GroupPrincipal("staff")];
        Assert.Equal(groups.Order(StringComparer.Ordinal), DirectoryApiFixture.Strings(user["groupPrincipalIds"]));

        // The session token is the user, with the directory's groups as its groups.
        using HttpClient alice = fixture.Api.CreateClient((string)token["token"]!);
        using HttpResponseMessage review = await alice.PostAsync("/apis/authentication.k8s.io/v1/selfsubjectreviews",
            ApiServerFixture.Json(new JsonObject { ["apiVersion"] = "authentication.k8s.io/v1", ["kind"] = "SelfSubjectReview" }));
        JsonObject userInfo = (JsonObject)(await ApiServerFixture.ReadObjectAsync(review))["status"]!["userInfo"]!;
        Assert.Equal(userId, (string?)userInfo["username"]);
        Assert.All(groups, group => Assert.Contains(group, DirectoryApiFixture.Strings(userInfo["groups"])));
    }

    [Fact]
    public async Task LaterLogin_FindsTheSameUserByPrincipal_AndTakesTheDirectorysNewGroupsAndName()
    {
        await fixture.ConfigureOpenLdapAsync();
        string uid = "later-" + Guid.NewGuid().ToString("N")[..6];
        string dn = Slapd.AddPerson(uid, "Later Person", "later-password-1");
        Slapd.AddGroup("first-" + uid, dn, SlapdFixture.PersonDn("bob"));
        Slapd.AddGroup("second-" + uid, SlapdFixture.PersonDn("bob"));

        string userId = (string)(await LoginOkAsync(uid, "later-password-1"))["userId"]!;
        Assert.Equal([fixture.GroupPrincipal("first-" + uid)], DirectoryApiFixture.Strings((await fixture.GetUserAsync(userId))["groupPrincipalIds"]));

        Slapd.RemoveMember("first-" + uid, dn);
        Slapd.AddMember("second-" + uid, dn);
        Slapd.Replace(dn, "cn", "Later Renamed");
        Assert.Equal(userId, (string)(await LoginOkAsync(uid, "later-password-1"))["userId"]!);

        JsonObject user = await fixture.GetUserAsync(userId);
        Assert.Equal([fixture.GroupPrincipal("second-" + uid)], DirectoryApiFixture.Strings(user["groupPrincipalIds"]));
        Assert.Equal("Later Renamed", (string?)user["displayName"]);
        Assert.Single(fixture.Api.Services.GetRequiredService<UserAccounts>().All(), u => (string?)u["username"] == uid);
    }

    [Fact]
    public async Task WrongPassword_UnknownUser_EmptyPassword_AmbiguousAndInjectedNames_AreOneAnd401()
    {
        await fixture.ConfigureOpenLdapAsync();
        // Five refusals from this address is what the brake lets through before it locks; the login after them clears it.
        (string Username, string Password)[] attempts =
        [
            ("alice", "not-alices-password"),
            ("nobody-" + Guid.NewGuid().ToString("N")[..6], "some-password"),
            ("alice", ""),
            ("dup", SlapdFixture.Passwords["dup"]),
            ("*)(uid=*", SlapdFixture.Passwords["alice"]),
        ];
        int usersBefore = fixture.Api.Services.GetRequiredService<UserAccounts>().All().Count();
        foreach ((string username, string password) in attempts)
        {
            (HttpStatusCode status, JsonObject body) = await fixture.LoginAsync("openldap", username, password);
            Assert.Equal(HttpStatusCode.Unauthorized, status);
            Assert.Equal(new JsonObject { ["type"] = "error", ["status"] = "401", ["code"] = "Unauthorized", ["message"] = "authentication failed" }.ToJsonString(), body.ToJsonString());
        }

        Assert.Equal(usersBefore, fixture.Api.Services.GetRequiredService<UserAccounts>().All().Count());
        await LoginOkAsync("alice", SlapdFixture.Passwords["alice"]);
    }

    [Fact]
    public async Task RepeatedFailures_Are429WithRetryAfter_EvenForTheRightPassword_UntilTheLockoutEnds()
    {
        await fixture.ConfigureOpenLdapAsync();
        for (int i = 0; i <= LoginThrottle.FreeFailures; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await fixture.LoginAsync("openldap", "bob", "wrong-" + i)).Status);
        }

        using HttpClient anonymous = fixture.Api.CreateClient(null);
        using HttpResponseMessage locked = await anonymous.PostAsync("/v3-public/openLdapProviders/openldap?action=login",
            ApiServerFixture.Json(new JsonObject { ["username"] = "bob", ["password"] = SlapdFixture.Passwords["bob"] }));
        Assert.Equal(HttpStatusCode.TooManyRequests, locked.StatusCode);
        Assert.NotNull(locked.Headers.RetryAfter);

        // The first lock-out is a second; a success then clears the brake for the tests after this one.
        HttpStatusCode status = HttpStatusCode.TooManyRequests;
        for (var deadline = DateTime.UtcNow.AddSeconds(15); status == HttpStatusCode.TooManyRequests && DateTime.UtcNow < deadline;)
        {
            await Task.Delay(200);
            status = (await fixture.LoginAsync("openldap", "bob", SlapdFixture.Passwords["bob"])).Status;
        }

        Assert.Equal(HttpStatusCode.Created, status);
    }

    [Fact]
    public async Task UnreachableDirectory_Is503SayingSo_NotA401()
    {
        int closed = SlapdFixture.FreePort();
        await fixture.ConfigureOpenLdapAsync(config => config["port"] = closed);
        try
        {
            (HttpStatusCode status, JsonObject body) = await fixture.LoginAsync("openldap", "alice", SlapdFixture.Passwords["alice"]);

            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            Assert.Equal("the directory is unavailable: no server answered", (string?)body["message"]);
        }
        finally
        {
            await fixture.ConfigureOpenLdapAsync();
        }
    }

    [Fact]
    public async Task DisabledOrUnconfiguredProvider_Is404()
    {
        await fixture.ConfigureOpenLdapAsync(config => config["enabled"] = false);
        try
        {
            (HttpStatusCode status, JsonObject body) = await fixture.LoginAsync("openldap", "alice", SlapdFixture.Passwords["alice"]);
            Assert.Equal(HttpStatusCode.NotFound, status);
            Assert.Equal("the openldap provider is not enabled", (string?)body["message"]);
            Assert.Equal(HttpStatusCode.NotFound, (await fixture.LoginAsync("activedirectory", "alice", SlapdFixture.Passwords["alice"])).Status);
        }
        finally
        {
            await fixture.ConfigureOpenLdapAsync();
        }
    }

    [Fact]
    public async Task RequiredMode_AdmitsOnlyAllowedUsersOrGroups_AndRefusesTheOthersWith403()
    {
        await fixture.ConfigureOpenLdapAsync(config =>
        {
            config["accessMode"] = "required";
            config["allowedPrincipalIds"] = new JsonArray(fixture.GroupPrincipal("staff"), fixture.UserPrincipal("admin").ToUpperInvariant().Replace("OPENLDAP_USER", "openldap_user", StringComparison.Ordinal));
        });
        try
        {
            // alice is in staff through two levels of nesting; admin is allowed by name (in another spelling).
            await LoginOkAsync("alice", SlapdFixture.Passwords["alice"]);
            await LoginOkAsync("admin", SlapdFixture.Passwords["admin"]);

            int usersBefore = fixture.Api.Services.GetRequiredService<UserAccounts>().All().Count();
            (HttpStatusCode status, JsonObject body) = await fixture.LoginAsync("openldap", "carol", SlapdFixture.Passwords["carol"]);
            Assert.Equal(HttpStatusCode.Forbidden, status);
            Assert.Contains("access mode is required", (string?)body["message"], StringComparison.Ordinal);
            Assert.Equal(usersBefore, fixture.Api.Services.GetRequiredService<UserAccounts>().All().Count());
            Assert.Contains(fixture.Api.LogText.Split('\n'), line => line.StartsWith("Warning 1320 ", StringComparison.Ordinal) && line.Contains("carol", StringComparison.Ordinal));
        }
        finally
        {
            await fixture.ConfigureOpenLdapAsync();
        }
    }

    [Fact]
    public async Task RestrictedMode_AlsoAdmitsAUserWhoseGroupIsBoundToARole()
    {
        await fixture.ConfigureOpenLdapAsync(config => config["accessMode"] = "restricted");
        string binding = "carol-cycle-" + Guid.NewGuid().ToString("N")[..6];
        try
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await fixture.LoginAsync("openldap", "carol", SlapdFixture.Passwords["carol"])).Status);

            await fixture.PutAsync("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/" + binding, new JsonObject
            {
                ["apiVersion"] = "rbac.authorization.k8s.io/v1",
                ["kind"] = "ClusterRoleBinding",
                ["metadata"] = new JsonObject { ["name"] = binding },
                ["roleRef"] = new JsonObject { ["apiGroup"] = "rbac.authorization.k8s.io", ["kind"] = "ClusterRole", ["name"] = "view" },
                ["subjects"] = new JsonArray(new JsonObject { ["apiGroup"] = "rbac.authorization.k8s.io", ["kind"] = "Group", ["name"] = fixture.GroupPrincipal("cycle-b") }),
            });

            await LoginOkAsync("carol", SlapdFixture.Passwords["carol"]);
        }
        finally
        {
            await fixture.Api.Client.DeleteAsync("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/" + binding);
            await fixture.ConfigureOpenLdapAsync();
        }
    }

    [Fact]
    public async Task LocalAccount_IsNotTakenOverByADirectoryUserOfTheSameName()
    {
        await fixture.ConfigureOpenLdapAsync();
        UserAccounts users = fixture.Api.Services.GetRequiredService<UserAccounts>();
        string localId = await users.CreateAsync(id => new JsonObject
        {
            ["username"] = "bob",
            ["principalIds"] = new JsonArray((JsonNode)("local://" + id)),
        });
        try
        {
            await fixture.Api.Services.GetRequiredService<LocalPasswords>().SetAsync(localId, "local-bob-password");

            string directoryId = (string)(await LoginOkAsync("bob", SlapdFixture.Passwords["bob"]))["userId"]!;
            (HttpStatusCode status, JsonObject local) = await fixture.LoginAsync("local", "bob", "local-bob-password");

            Assert.NotEqual(localId, directoryId);
            Assert.Equal(HttpStatusCode.Created, status);
            Assert.Equal(localId, (string?)local["userId"]);
            Assert.Equal("local", (string?)local["authProvider"]);
        }
        finally
        {
            await fixture.Api.Client.DeleteAsync("/apis/management.appliance.io/v1/users/" + localId);
        }
    }

    [Fact]
    public async Task UserDisabledByAnAdministrator_IsRefusedWithTheSame401()
    {
        await fixture.ConfigureOpenLdapAsync();
        string uid = "disabled-" + Guid.NewGuid().ToString("N")[..6];
        Slapd.AddPerson(uid, "Disabled Person", "disabled-password-1");
        string userId = (string)(await LoginOkAsync(uid, "disabled-password-1"))["userId"]!;
        using (HttpResponseMessage patch = await fixture.Api.Client.PatchAsync("/apis/management.appliance.io/v1/users/" + userId,
            new StringContent("""{"enabled":false}""", System.Text.Encoding.UTF8, "application/merge-patch+json")))
        {
            Assert.Equal(HttpStatusCode.OK, patch.StatusCode);
        }

        (HttpStatusCode status, JsonObject body) = await fixture.LoginAsync("openldap", uid, "disabled-password-1");

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal(LoginEndpoint.RefusedMessage, (string?)body["message"]);
        Assert.False((bool)(await fixture.GetUserAsync(userId))["enabled"]!);
        await LoginOkAsync("alice", SlapdFixture.Passwords["alice"]);
    }

    [Fact]
    public async Task ResponseTypeNotServed_Is400()
    {
        await fixture.ConfigureOpenLdapAsync();
        using HttpClient anonymous = fixture.Api.CreateClient(null);
        using HttpResponseMessage response = await anonymous.PostAsync("/v3-public/openLdapProviders/openldap?action=login",
            ApiServerFixture.Json(new JsonObject { ["username"] = "alice", ["password"] = SlapdFixture.Passwords["alice"], ["responseType"] = "saml" }));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }
}
