using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Appliance.Api.Security;

namespace Appliance.Api.Tests;

/// <summary>
/// <c>POST /v3/authConfigs/openldap?action=testAndApply</c>: the configuring user signs in through the new
/// settings before they are saved enabled; a failed test saves nothing; the password lives in an encrypted Secret.
/// </summary>
[Collection(DirectoryApiCollection.Name)]
public sealed class AuthConfigTestAndApplyTests(DirectoryApiFixture fixture)
{
    private const string ActionPath = "/v3/authConfigs/openldap?action=testAndApply";

    private JsonObject Body(string username, string password, Action<JsonObject>? change = null)
    {
        JsonObject config = fixture.OpenLdapFields();
        config["serviceAccountPassword"] = SlapdFixture.ServiceAccountPassword;
        change?.Invoke(config);
        return new JsonObject { ["ldapConfig"] = config, ["username"] = username, ["password"] = password };
    }

    private async Task<(HttpStatusCode Status, JsonObject Body)> PostAsync(HttpClient client, JsonObject body)
    {
        using HttpResponseMessage response = await client.PostAsync(ActionPath, ApiServerFixture.Json(body));
        return (response.StatusCode, await ApiServerFixture.ReadObjectAsync(response));
    }

    private string? StoredConfigRevision() => fixture.Api.Store.Get("/registry/management.appliance.io/authconfigs/openldap").Item?.ModRevision.ToString(System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task TestAndApply_SignsTheCallerInFirst_ThenSavesTheConfigEnabled_WithThePasswordOnlyInAnEncryptedSecret()
    {
        await fixture.ConfigureOpenLdapAsync(config => config["enabled"] = false);

        (HttpStatusCode status, JsonObject saved) = await PostAsync(fixture.Api.Client, Body("alice", SlapdFixture.Passwords["alice"], config => config["accessMode"] = "restricted"));

        Assert.True(status == HttpStatusCode.OK, saved.ToJsonString());
        Assert.True((bool)saved["enabled"]!);
        // Restricted: the configuring user is allowed by name, so they cannot have locked themselves out.
        Assert.Equal([fixture.UserPrincipal("alice")], DirectoryApiFixture.Strings(saved["allowedPrincipalIds"]));
        Assert.Equal("openldap-service-account", (string?)saved["serviceAccountPasswordSecretRef"]!["name"]);
        Assert.Null(saved["serviceAccountPassword"]);
        string storedConfig = Encoding.UTF8.GetString(fixture.Api.Store.Get("/registry/management.appliance.io/authconfigs/openldap").Item!.Value);
        Assert.DoesNotContain(SlapdFixture.ServiceAccountPassword, storedConfig, StringComparison.Ordinal);
        byte[] secret = fixture.Api.Store.Get("/registry/core/secrets/appliance-system/openldap-service-account").Item!.Value;
        Assert.StartsWith("k8s:enc:aesgcm:v1:", Encoding.Latin1.GetString(secret), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.Created, (await fixture.LoginAsync("openldap", "alice", SlapdFixture.Passwords["alice"])).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await fixture.LoginAsync("openldap", "bob", SlapdFixture.Passwords["bob"])).Status);

        // Tested again without the password: the stored Secret is used.
        JsonObject again = Body("alice", SlapdFixture.Passwords["alice"]);
        ((JsonObject)again["ldapConfig"]!).Remove("serviceAccountPassword");
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(fixture.Api.Client, again)).Status);
        await fixture.ConfigureOpenLdapAsync();
    }

    [Fact]
    public async Task TestAndApply_OverLdapsWithTheDirectorysCa_Works_AndWithAnotherCaSavesNothing()
    {
        await fixture.ConfigureOpenLdapAsync();
        string? before = StoredConfigRevision();

        (HttpStatusCode refused, JsonObject error) = await PostAsync(fixture.Api.Client, Body("alice", SlapdFixture.Passwords["alice"], config =>
        {
            config["tlsMode"] = "ldaps";
            config["port"] = fixture.Slapd.LdapsPort;
            config["certificate"] = fixture.Slapd.UnknownCaPem;
        }));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused);
        Assert.Contains("TLS handshake failed", (string?)error["message"], StringComparison.Ordinal);
        Assert.Equal(before, StoredConfigRevision());

        (HttpStatusCode ok, JsonObject saved) = await PostAsync(fixture.Api.Client, Body("alice", SlapdFixture.Passwords["alice"], config =>
        {
            config["tlsMode"] = "ldaps";
            config["port"] = fixture.Slapd.LdapsPort;
            config["certificate"] = fixture.Slapd.CaPem;
        }));
        Assert.True(ok == HttpStatusCode.OK, saved.ToJsonString());
        Assert.Equal(HttpStatusCode.Created, (await fixture.LoginAsync("openldap", "bob", SlapdFixture.Passwords["bob"])).Status);
        await fixture.ConfigureOpenLdapAsync();
    }

    [Fact]
    public async Task FailedTest_SavesNothing_AndSaysWhatTheDirectoryAnswered_WithoutThePassword()
    {
        await fixture.ConfigureOpenLdapAsync();
        string? before = StoredConfigRevision();
        long secretBefore = SecretRevision();
        (string Password, Action<JsonObject>? Change, string Expected)[] cases =
        [
            ("wrong-password-for-test", null, "the directory rejected the password"),
            (SlapdFixture.Passwords["alice"], config => config["serviceAccountPassword"] = "wrong-service-password", "refused the configured service account"),
            (SlapdFixture.Passwords["alice"], config => config["userSearchBase"] = "ou=nowhere," + SlapdFixture.Suffix, "answered a search with an error"),
            (SlapdFixture.Passwords["alice"], config => config["port"] = SlapdFixture.FreePort(), "no server answered"),
        ];
        foreach ((string password, Action<JsonObject>? change, string expected) in cases)
        {
            (HttpStatusCode status, JsonObject body) = await PostAsync(fixture.Api.Client, Body("alice", password, change));

            Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
            Assert.Equal("TestFailed", (string?)body["code"]);
            Assert.Contains(expected, (string?)body["message"], StringComparison.Ordinal);
            Assert.DoesNotContain(password, body.ToJsonString(), StringComparison.Ordinal);
            Assert.DoesNotContain("wrong-service-password", body.ToJsonString(), StringComparison.Ordinal);
        }

        Assert.Equal(before, StoredConfigRevision());
        Assert.Equal(secretBefore, SecretRevision());
    }

    private long SecretRevision() => fixture.Api.Store.Get("/registry/core/secrets/appliance-system/openldap-service-account").Item?.ModRevision ?? 0;

    [Fact]
    public async Task TestAndApply_NeedsACallerAllowedToWriteAuthConfigs()
    {
        await fixture.ConfigureOpenLdapAsync();
        string? before = StoredConfigRevision();

        using HttpClient anonymous = fixture.Api.CreateClient(null);
        Assert.Equal(HttpStatusCode.Unauthorized, (await PostAsync(anonymous, Body("alice", SlapdFixture.Passwords["alice"]))).Status);
        using HttpClient nobody = fixture.Api.CreateClient(await fixture.Api.IssueTokenAsync("u-" + Guid.NewGuid().ToString("N")[..8]));
        (HttpStatusCode status, JsonObject body) = await PostAsync(nobody, Body("alice", SlapdFixture.Passwords["alice"]));
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("cannot update resource \"authconfigs\"", (string?)body["message"], StringComparison.Ordinal);

        Assert.Equal(before, StoredConfigRevision());
    }

    [Fact]
    public async Task AuthConfigWrites_AreValidated_WithAClearCausePerField()
    {
        var config = new JsonObject
        {
            ["apiVersion"] = "management.appliance.io/v1",
            ["kind"] = "AuthConfig",
            ["metadata"] = new JsonObject { ["name"] = "openldap" },
            ["enabled"] = true,
            ["tlsMode"] = "tls",
            ["port"] = 0,
            ["connectionTimeout"] = "5s",
            ["certificate"] = "not a certificate",
            ["servers"] = new JsonArray("ldap://127.0.0.1:389"),
            ["serviceAccountPassword"] = "in-clear",
            ["serviceAccountPasswordSecretRef"] = new JsonObject { ["namespace"] = "default", ["name"] = "reader" },
            ["userLoginAttribute"] = "uid)(x",
        };

        using HttpResponseMessage response = await fixture.Api.Client.PostAsync("/apis/management.appliance.io/v1/authconfigs?dryRun=All", ApiServerFixture.Json(config));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        JsonObject status = await ApiServerFixture.ReadObjectAsync(response);
        string[] fields = [.. ((JsonArray)status["details"]!["causes"]!).Select(cause => (string)cause!["field"]!)];
        Assert.Equal(
            ["certificate", "connectionTimeout", "port", "servers[0]", "serviceAccountDistinguishedName", "serviceAccountPassword", "serviceAccountPasswordSecretRef.namespace", "tlsMode", "userLoginAttribute", "userSearchBase"],
            fields.Order(StringComparer.Ordinal));
        Assert.DoesNotContain("in-clear", status.ToJsonString(), StringComparison.Ordinal);
    }
}
