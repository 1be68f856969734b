namespace Appliance.Auth.Tests;

/// <summary>Finding a known user again by its stable id, through the service account alone (the periodic group refresh).</summary>
[Collection(SlapdCollection.Name)]
public sealed class LdapLookupTests(SlapdFixture slapd)
{
    private readonly CapturingLogger _log = new();

    private async Task<LdapLoginResult> LookupAsync(PrincipalId principal, LdapSettings? settings = null)
    {
        using var authenticator = new LdapAuthenticator(settings ?? slapd.Settings(), _log);
        return await authenticator.LookupAsync(principal);
    }

    private static PrincipalId UserPrincipal(string entryUuid) => PrincipalId.Create(PrincipalKind.OpenLdapUser, entryUuid);

    [Fact]
    public async Task Lookup_ByEntryUuid_GivesTheSameUserAndGroupsAsALogin_WithoutItsPassword()
    {
        using var authenticator = new LdapAuthenticator(slapd.Settings(), _log);
        var login = await authenticator.LoginAsync("alice", SlapdFixture.Passwords["alice"]);

        var lookup = await authenticator.LookupAsync(login.User!.Principal);

        Assert.Equal(LdapLoginStatus.Success, lookup.Status);
        Assert.Equal(login.User.Principal, lookup.User!.Principal);
        Assert.Equal("alice", lookup.User.LoginName);
        Assert.Equal("Alice Liddell", lookup.User.DisplayName);
        Assert.Equal(
            login.User.Groups.Select(group => group.Principal.ToString()).Order(StringComparer.Ordinal),
            lookup.User.Groups.Select(group => group.Principal.ToString()).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(SlapdFixture.Passwords["alice"], _log.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Lookup_SeesGroupChanges_AMovedEntry_AndADeletedOne()
    {
        var uid = "lookup-" + Guid.NewGuid().ToString("N")[..8];
        var dn = slapd.AddPerson(uid, "Lookup Person", "lookup-password-1");
        var group = "lookup-group-" + uid;
        slapd.AddGroup(group, dn, SlapdFixture.PersonDn("bob"));
        var principal = UserPrincipal(slapd.EntryUuid(dn));

        var before = await LookupAsync(principal);
        Assert.Equal([group], before.User!.Groups.Select(g => g.Name));

        slapd.RemoveMember(group, dn);
        var moved = slapd.Move(dn, "ou=system," + SlapdFixture.Suffix);
        var after = await LookupAsync(principal, slapd.Settings() with { UserSearchBase = SlapdFixture.Suffix });
        Assert.Equal(LdapLoginStatus.Success, after.Status);
        Assert.Equal(moved, after.User!.DistinguishedName);
        Assert.Empty(after.User.Groups);

        slapd.Delete(moved);
        Assert.Equal(LdapLoginStatus.UserNotFound, (await LookupAsync(principal, slapd.Settings() with { UserSearchBase = SlapdFixture.Suffix })).Status);
    }

    [Fact]
    public async Task Lookup_OfAnUnknownId_IsUserNotFound_AndOfAnUnreachableDirectory_IsServerUnavailable()
    {
        var unknown = UserPrincipal(Guid.NewGuid().ToString());
        Assert.Equal(LdapLoginStatus.UserNotFound, (await LookupAsync(unknown)).Status);

        var closedPort = SlapdFixture.FreePort();
        Assert.Equal(LdapLoginStatus.ServerUnavailable, (await LookupAsync(unknown, slapd.Settings(port: closedPort))).Status);
    }

    [Fact]
    public async Task Lookup_OfAnotherProvidersPrincipal_IsAnArgumentError()
    {
        using var authenticator = new LdapAuthenticator(slapd.Settings(), _log);
        await Assert.ThrowsAsync<ArgumentException>(() => authenticator.LookupAsync(PrincipalId.Create(PrincipalKind.ActiveDirectoryUser, Guid.NewGuid().ToString())));
    }

    [Fact]
    public void EscapeBytes_EscapesEveryOctet_AsAdsObjectGuidFiltersNeedIt()
    {
        Assert.Equal(@"\00\2a\28\ff", LdapFilter.EscapeBytes([0x00, 0x2a, 0x28, 0xff]));
        Assert.Equal(48, LdapFilter.EscapeBytes(Guid.NewGuid().ToByteArray()).Length);
    }
}
