using System.DirectoryServices.Protocols;

namespace Appliance.Auth.Tests;

/// <summary>The Active Directory preset against a real domain controller (Samba's; see <see cref="SambaAdFixture"/>).</summary>
[Collection(SambaAdCollection.Name)]
public sealed class ActiveDirectoryLoginTests(SambaAdFixture dc)
{
    private readonly CapturingLogger _log = new();

    private async Task<LdapLoginResult> LoginAsync(LdapSettings settings, string username, string password)
    {
        using var authenticator = new LdapAuthenticator(settings, _log);
        return await authenticator.LoginAsync(username, password);
    }

    private Task<LdapLoginResult> LoginAsync(string username, string password) => LoginAsync(dc.Settings(), username, password);

    private static string[] GroupNames(LdapLoginResult result)
        => [.. result.User!.Groups.Select(group => group.Name).Order(StringComparer.Ordinal)];

    /// <summary>
    /// The objectGUID of the one entry <paramref name="filter"/> matches, in the DC's own string form: the
    /// extended DN control (1.2.840.113556.1.4.529) makes the DC write it into the DN as &lt;GUID=...&gt;,
    /// independently of how the engine turns objectGUID's 16 bytes into a string.
    /// </summary>
    private string ObjectGuidOf(string filter)
    {
        using var connection = dc.ConnectAsAdministrator();
        var request = new SearchRequest(SambaAdFixture.BaseDn, filter, SearchScope.Subtree, "objectGUID");
        request.Controls.Add(new ExtendedDNControl(ExtendedDNFlag.StandardString));
        var entry = Assert.Single(((SearchResponse)connection.SendRequest(request)).Entries.Cast<SearchResultEntry>());
        const string Prefix = "<GUID=";
        Assert.StartsWith(Prefix, entry.DistinguishedName, StringComparison.Ordinal);
        return entry.DistinguishedName[Prefix.Length..entry.DistinguishedName.IndexOf('>', StringComparison.Ordinal)];
    }

    private string GroupPrincipal(string name) => $"activedirectory_group://{ObjectGuidOf($"(&(objectClass=group)(cn={name}))")}";

    [Fact]
    public async Task Login_BySamAccountName_GivesTheObjectGuidPrincipalDnAndDisplayName()
    {
        var result = await LoginAsync("alice", SambaAdFixture.Passwords["alice"]);

        Assert.Equal(LdapLoginStatus.Success, result.Status);
        var user = result.User!;
        Assert.Equal($"activedirectory_user://{ObjectGuidOf("(sAMAccountName=alice)")}", user.Principal.ToString());
        Assert.Equal(PrincipalKind.ActiveDirectoryUser, user.Principal.Kind);
        Assert.Equal(SambaAdFixture.AliceDn, user.DistinguishedName);
        Assert.Equal("Alice Liddell", user.DisplayName);
        Assert.Equal("alice", user.LoginName);
    }

    [Fact]
    public async Task Login_ByUserPrincipalName_FindsTheSameUser()
    {
        var password = SambaAdFixture.Passwords["alice"];
        var byUpnSettings = dc.Settings() with { LoginAttribute = "userPrincipalName" };

        var byUpn = await LoginAsync(byUpnSettings, "alice@" + SambaAdFixture.DnsDomain, password);
        var bySam = await LoginAsync("alice", password);

        Assert.Equal(LdapLoginStatus.Success, byUpn.Status);
        Assert.Equal(bySam.User!.Principal, byUpn.User!.Principal);
        Assert.Equal("alice@" + SambaAdFixture.DnsDomain, byUpn.User.LoginName);
        // Under this setting the sAMAccountName alone names no one.
        Assert.Equal(LdapLoginStatus.UserNotFound, (await LoginAsync(byUpnSettings, "alice", password)).Status);
    }

    [Fact]
    public async Task Login_AgainAndInOtherCase_GivesTheSameStablePrincipal()
    {
        var first = await LoginAsync("bob", SambaAdFixture.Passwords["bob"]);
        var second = await LoginAsync("BOB", SambaAdFixture.Passwords["bob"]);

        Assert.Equal(LdapLoginStatus.Success, second.Status);
        Assert.Equal(first.User!.Principal, second.User!.Principal);
        Assert.NotEqual(first.User.Principal, (await LoginAsync("alice", SambaAdFixture.Passwords["alice"])).User!.Principal);
    }

    [Fact]
    public async Task Login_UserMovedToAnotherOu_KeepsItsPrincipalAndGroups()
    {
        var before = await LoginAsync("mover", SambaAdFixture.Passwords["mover"]);
        using (var connection = dc.ConnectAsAdministrator())
        {
            connection.SendRequest(new ModifyDNRequest(before.User!.DistinguishedName, SambaAdFixture.MovedOuDn, "CN=mover"));
        }

        var after = await LoginAsync("mover", SambaAdFixture.Passwords["mover"]);

        Assert.Equal(LdapLoginStatus.Success, after.Status);
        Assert.Equal($"CN=mover,{SambaAdFixture.MovedOuDn}", after.User!.DistinguishedName);
        Assert.NotEqual(before.User.DistinguishedName, after.User.DistinguishedName);
        Assert.Equal(before.User.Principal, after.User.Principal);
        Assert.Equal(["developers", "engineering", "staff"], GroupNames(after));
    }

    [Fact]
    public async Task Login_ResolvesDirectAndNestedGroupsAsObjectGuidPrincipals()
    {
        var result = await LoginAsync("alice", SambaAdFixture.Passwords["alice"]);

        Assert.Equal(["developers", "engineering", "staff"], GroupNames(result));
        Assert.Equal(
            new[] { "developers", "engineering", "staff" }.Select(GroupPrincipal).Order(StringComparer.Ordinal),
            result.User!.Groups.Select(group => group.Principal.ToString()).Order(StringComparer.Ordinal));
        Assert.Contains(result.User.Groups, group => group.DistinguishedName == $"CN=staff,{SambaAdFixture.UsersDn}");
        // The primary group (Domain Users) is held in primaryGroupID, not in any group's member
        // attribute, so no member search finds it: as in Rancher, it is no group principal.
        Assert.DoesNotContain(result.User.Groups, group => group.Name == "Domain Users");
    }

    [Fact]
    public async Task Login_NestedGroups_ComeFromTheDcsInChainRuleNotFromLevelByLevelSearches()
    {
        // With the level bound at 0, a level-by-level expansion finds the direct group only; the
        // in-chain filter (1.2.840.113556.1.4.1941) has the DC follow the chain in one search.
        var inChain = dc.Settings() with { NestedGroupDepth = 0 };
        var levelByLevel = inChain with { UseMatchingRuleInChain = false };

        Assert.Equal(["developers", "engineering", "staff"], GroupNames(await LoginAsync(inChain, "bob", SambaAdFixture.Passwords["bob"])));
        Assert.Equal(["developers"], GroupNames(await LoginAsync(levelByLevel, "bob", SambaAdFixture.Passwords["bob"])));
    }

    [Fact]
    public async Task Login_DnWithAnEscapedComma_IsMatchedByTheEscapedInChainFilter()
    {
        var result = await LoginAsync("jdoe", SambaAdFixture.Passwords["jdoe"]);

        Assert.Equal(LdapLoginStatus.Success, result.Status);
        Assert.Equal(SambaAdFixture.JdoeDn, result.User!.DistinguishedName);
        Assert.Equal(["developers", "engineering", "staff"], GroupNames(result));
    }

    [Fact]
    public async Task Login_GroupCycle_EndsWithEachGroupOnce()
    {
        var result = await LoginAsync("carol", SambaAdFixture.Passwords["carol"]).WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(["cycle-a", "cycle-b"], GroupNames(result));
    }

    [Fact]
    public async Task Login_UserInNoGroup_HasNoGroups()
    {
        var result = await LoginAsync("dave", SambaAdFixture.Passwords["dave"]);

        Assert.Equal(LdapLoginStatus.Success, result.Status);
        Assert.Empty(result.User!.Groups);
    }

    [Fact]
    public async Task Login_DisabledAccountWithItsPassword_IsAccountDisabled()
    {
        var result = await LoginAsync("disabled", SambaAdFixture.Passwords["disabled"]);

        Assert.Equal(LdapLoginStatus.AccountDisabled, result.Status);
        Assert.Null(result.User);
    }

    [Fact]
    public async Task Login_DisabledAccountWithAWrongPassword_SaysNothingAboutTheAccount()
    {
        // Only someone who knows the password learns that the account is disabled (the DC answers 52e, not 533).
        var result = await LoginAsync("disabled", "Not-The-Passw0rd-1");

        Assert.Equal(LdapLoginStatus.InvalidCredentials, result.Status);
    }

    [Fact]
    public async Task Login_ExpiredAccount_IsAccountExpired()
    {
        Assert.Equal(LdapLoginStatus.AccountExpired, (await LoginAsync("expired", SambaAdFixture.Passwords["expired"])).Status);
    }

    [Fact]
    public async Task Login_PasswordThatMustBeChanged_IsPasswordExpired()
    {
        Assert.Equal(LdapLoginStatus.PasswordExpired, (await LoginAsync("mustchange", SambaAdFixture.Passwords["mustchange"])).Status);
    }

    [Fact]
    public async Task Login_AfterTheLockoutThresholdOfBadPasswords_IsAccountLockedOut()
    {
        for (var i = 0; i < SambaAdFixture.LockoutThreshold; i++)
        {
            Assert.Equal(LdapLoginStatus.InvalidCredentials, (await LoginAsync("locky", $"Wrong-Passw0rd-{i}")).Status);
        }

        Assert.Equal(LdapLoginStatus.AccountLockedOut, (await LoginAsync("locky", SambaAdFixture.Passwords["locky"])).Status);
    }

    [Fact]
    public async Task Login_UserEnabledAttribute_IsCheckedAfterTheBind()
    {
        // AD refuses a disabled account's bind itself, so the engine's own userAccountControl check only
        // shows with a mask that hits an enabled account: NORMAL_ACCOUNT (0x200), which every user has.
        var normalAccountMeansDisabled = dc.Settings() with { UserDisabledBitMask = 0x200 };
        var attributeNotThere = dc.Settings() with { UserEnabledAttribute = "employeeNumber" };
        var noCheck = dc.Settings() with { UserEnabledAttribute = "", UserDisabledBitMask = 0x200 };

        Assert.Equal(LdapLoginStatus.AccountDisabled, (await LoginAsync(normalAccountMeansDisabled, "dave", SambaAdFixture.Passwords["dave"])).Status);
        // A wrong password is refused by the bind before the attribute is looked at.
        Assert.Equal(LdapLoginStatus.InvalidCredentials, (await LoginAsync(normalAccountMeansDisabled, "dave", "Wrong-Passw0rd-1")).Status);
        // An attribute the service account cannot see must not pass as "enabled".
        Assert.Equal(LdapLoginStatus.DirectoryError, (await LoginAsync(attributeNotThere, "dave", SambaAdFixture.Passwords["dave"])).Status);
        Assert.Equal(LdapLoginStatus.Success, (await LoginAsync(noCheck, "dave", SambaAdFixture.Passwords["dave"])).Status);
    }

    [Fact]
    public async Task Login_WrongPassword_IsInvalidCredentials()
    {
        var result = await LoginAsync("bob", "Wrong-Passw0rd-1");

        Assert.Equal(LdapLoginStatus.InvalidCredentials, result.Status);
        Assert.Null(result.User);
    }

    [Fact]
    public async Task Login_EmptyPassword_IsRefusedBeforeAnyBind()
    {
        Assert.Equal(LdapLoginStatus.EmptyPassword, (await LoginAsync("dave", "")).Status);
    }

    [Theory]
    [InlineData("mallory")]
    [InlineData("*")]
    [InlineData("al*")]
    [InlineData("*)(sAMAccountName=*")]
    [InlineData(@"APPLIANCE\alice")]
    public async Task Login_NameNoAccountHas_IsUserNotFound(string username)
    {
        var result = await LoginAsync(username, SambaAdFixture.Passwords["alice"]);

        Assert.Equal(LdapLoginStatus.UserNotFound, result.Status);
    }

    [Fact]
    public async Task Login_WrongServiceAccountPassword_IsServiceAccountRejected()
    {
        var wrong = dc.Settings() with { ServiceAccountPassword = "Not-The-Reader-Passw0rd-1" };

        Assert.Equal(LdapLoginStatus.ServiceAccountRejected, (await LoginAsync(wrong, "alice", SambaAdFixture.Passwords["alice"])).Status);
    }

    [Theory]
    [InlineData(LdapTlsMode.Ldaps)]
    [InlineData(LdapTlsMode.StartTls)]
    public async Task Login_OverTlsWithTheDcsCa_Succeeds(LdapTlsMode mode)
    {
        var result = await LoginAsync(dc.Settings(mode, dc.CaPem), "alice", SambaAdFixture.Passwords["alice"]);

        Assert.Equal(LdapLoginStatus.Success, result.Status);
        Assert.Equal(["developers", "engineering", "staff"], GroupNames(result));
    }

    [Theory]
    [InlineData(LdapTlsMode.Ldaps)]
    [InlineData(LdapTlsMode.StartTls)]
    public async Task Login_OverTlsWithAnotherCa_IsTlsFailure(LdapTlsMode mode)
    {
        Assert.Equal(LdapLoginStatus.TlsFailure, (await LoginAsync(dc.Settings(mode, dc.UnknownCaPem), "alice", SambaAdFixture.Passwords["alice"])).Status);
    }

    [Fact]
    public async Task Login_SuccessAndRefusals_NeverLogAPassword()
    {
        await LoginAsync("alice", SambaAdFixture.Passwords["alice"]);
        await LoginAsync("bob", SambaAdFixture.Passwords["alice"]);
        await LoginAsync("disabled", SambaAdFixture.Passwords["disabled"]);
        await LoginAsync(dc.Settings() with { UserEnabledAttribute = "employeeNumber" }, "dave", SambaAdFixture.Passwords["dave"]);
        await LoginAsync(dc.Settings() with { ServiceAccountPassword = "Wrong-Reader-Passw0rd-1" }, "carol", SambaAdFixture.Passwords["carol"]);

        var logged = _log.Text;
        Assert.Contains("alice", logged, StringComparison.Ordinal);
        foreach (var secret in new[] { SambaAdFixture.Passwords["alice"], SambaAdFixture.Passwords["disabled"], SambaAdFixture.Passwords["dave"],
                     SambaAdFixture.Passwords["carol"], SambaAdFixture.ServiceAccountPassword, "Wrong-Reader-Passw0rd-1" })
        {
            Assert.DoesNotContain(secret, logged, StringComparison.Ordinal);
        }
    }
}
