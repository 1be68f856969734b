using System.Text.Json.Nodes;

namespace Appliance.Api.Tests;

/// <summary>Every login attempt, at any provider, is one audit line; no password ever reaches the audit or the server log.</summary>
[Collection(DirectoryApiCollection.Name)]
public sealed class SignInAuditTests(DirectoryApiFixture fixture)
{
    private async Task<List<JsonObject>> WaitForLoginLinesAsync(Func<JsonObject, bool> match, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            List<JsonObject> lines = [.. (await fixture.Api.ReadAuditLogAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(line => (JsonObject)JsonNode.Parse(line)!)
                .Where(entry => (string?)entry["event"] == "login" && match(entry))];
            if (lines.Count >= count || DateTime.UtcNow > deadline)
            {
                return lines;
            }

            await Task.Delay(25);
        }
    }

    [Fact]
    public async Task EveryLoginAttempt_IsOneAuditLine_WithProviderUsernameAddressAndOutcome()
    {
        await fixture.ConfigureOpenLdapAsync();
        string unknown = "audited-" + Guid.NewGuid().ToString("N")[..6];

        (_, JsonObject ok) = await fixture.LoginAsync("openldap", "alice", SlapdFixture.Passwords["alice"]);
        await fixture.LoginAsync("openldap", unknown, "audited-wrong-password");
        await fixture.LoginAsync("local", unknown, "audited-local-password");
        await fixture.LoginAsync("openldap", "alice", SlapdFixture.Passwords["alice"]);

        JsonObject success = (await WaitForLoginLinesAsync(e => (string?)e["user"] == (string)ok["userId"]!, 1))[0];
        Assert.Equal("openldap", (string?)success["provider"]);
        Assert.Equal("alice", (string?)success["username"]);
        Assert.Equal("succeeded", (string?)success["outcome"]);
        Assert.Equal("127.0.0.1", (string?)success["address"]);

        List<JsonObject> failures = await WaitForLoginLinesAsync(e => (string?)e["username"] == unknown, 2);
        Assert.Equal(["local failed", "openldap failed"], failures.Select(e => $"{e["provider"]} {e["outcome"]}").Order(StringComparer.Ordinal));
        Assert.All(failures, e => Assert.Null(e["user"]));
    }

    /// <summary>Searches what the collection's tests that ran before left, and this test's own attempts.</summary>
    [Fact]
    public async Task NoPasswordUsed_AppearsInTheAuditLogOrTheServerLog()
    {
        await fixture.ConfigureOpenLdapAsync();
        string[] own = ["grep-me-wrong-password-1", "grep-me-local-password-2"];
        await fixture.LoginAsync("openldap", "alice", own[0]);
        await fixture.LoginAsync("local", "admin", own[1]);
        await fixture.LoginAsync("openldap", "bob", SlapdFixture.Passwords["bob"]);
        await WaitForLoginLinesAsync(e => (string?)e["username"] == "bob" && (string?)e["outcome"] == "succeeded", 1);

        string audit = await fixture.Api.ReadAuditLogAsync();
        string log = fixture.Api.LogText;
        Assert.Contains("LDAP login of bob", log, StringComparison.Ordinal);
        string[] passwords =
        [
            .. own, .. SlapdFixture.Passwords.Values, SlapdFixture.ServiceAccountPassword, SlapdFixture.RootPassword,
            "not-alices-password", "later-password-1", "disabled-password-1", "local-bob-password", "wrong-password-for-test", "wrong-service-password",
        ];
        foreach (string password in passwords)
        {
            Assert.DoesNotContain(password, audit, StringComparison.Ordinal);
            Assert.DoesNotContain(password, log, StringComparison.Ordinal);
        }
    }
}
