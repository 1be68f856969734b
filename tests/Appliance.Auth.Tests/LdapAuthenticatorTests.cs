using System.Diagnostics;
using System.Net;

namespace Appliance.Auth.Tests;

[Collection(SlapdCollection.Name)]
public sealed class LdapAuthenticatorTests(SlapdFixture slapd)
{
    private readonly CapturingLogger _log = new();

    private async Task<LdapLoginResult> LoginAsync(LdapSettings settings, string username, string password)
    {
        using var authenticator = new LdapAuthenticator(settings, _log);
        return await authenticator.LoginAsync(username, password);
    }

    private static string[] GroupNames(LdapLoginResult result)
        => [.. result.User!.Groups.Select(group => group.Name).Order(StringComparer.Ordinal)];

    [Fact]
    public async Task Login_ByUid_GivesEntryUuidPrincipalDnAndNames()
    {
        var result = await LoginAsync(slapd.Settings(), "alice", SlapdFixture.Passwords["alice"]);

        Assert.Equal(LdapLoginStatus.Success, result.Status);
        var user = result.User!;
        Assert.Equal(PrincipalKind.OpenLdapUser, user.Principal.Kind);
        Assert.True(Guid.TryParseExact(user.Principal.Id, "D", out _));
        Assert.Equal($"uid=alice,{SlapdFixture.People}", user.DistinguishedName);
        Assert.Equal("Alice Liddell", user.DisplayName);
        Assert.Equal("alice", user.LoginName);
    }

    [Fact]
    public async Task Login_SameUserTwice_GivesTheSameStablePrincipal()
    {
        var first = await LoginAsync(slapd.Settings(), "bob", SlapdFixture.Passwords["bob"]);
        var second = await LoginAsync(slapd.Settings(), "BOB", SlapdFixture.Passwords["bob"]);

        Assert.Equal(first.User!.Principal, second.User!.Principal);
        Assert.NotEqual(first.User.Principal, (await LoginAsync(slapd.Settings(), "alice", SlapdFixture.Passwords["alice"])).User!.Principal);
    }

    [Fact]
    public async Task Login_NonAsciiUid_IsFoundThroughTheEscapedFilter()
    {
        var result = await LoginAsync(slapd.Settings(), "lučić", SlapdFixture.Passwords["lučić"]);

        Assert.Equal(LdapLoginStatus.Success, result.Status);
        Assert.Equal("Ivan Lučić", result.User!.DisplayName);
    }

    [Fact]
    public async Task Login_MemberDn_ResolvesDirectAndNestedGroupsAsEntryUuidPrincipals()
    {
        var result = await LoginAsync(slapd.Settings(), "alice", SlapdFixture.Passwords["alice"]);

        Assert.Equal(["developers", "engineering", "staff"], GroupNames(result));
        Assert.All(result.User!.Groups, group => Assert.Equal(PrincipalKind.OpenLdapGroup, group.Principal.Kind));
        Assert.Equal(3, result.User.Groups.Select(group => group.Principal).Distinct().Count());
        Assert.Contains(result.User.Groups, group => group.DistinguishedName == $"cn=staff,{SlapdFixture.Groups}");
    }

    [Fact]
    public async Task Login_NestedGroupDepthBound_StopsExpansion()
    {
        var direct = slapd.Settings() with { NestedGroupDepth = 0 };
        var oneLevel = slapd.Settings() with { NestedGroupDepth = 1 };

        Assert.Equal(["developers"], GroupNames(await LoginAsync(direct, "alice", SlapdFixture.Passwords["alice"])));
        Assert.Equal(["developers", "engineering"], GroupNames(await LoginAsync(oneLevel, "alice", SlapdFixture.Passwords["alice"])));
    }

    [Fact]
    public async Task Login_GroupCycle_TerminatesWithEachGroupOnce()
    {
        var login = LoginAsync(slapd.Settings(), "carol", SlapdFixture.Passwords["carol"]);

        var result = await login.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(["cycle-a", "cycle-b"], GroupNames(result));
    }

    [Fact]
    public async Task Login_MemberOfMode_FollowsMemberOfThroughNestingAndCycles()
    {
        var settings = WithMembership(LdapGroupMembership.MemberOf, "member");

        Assert.Equal(["developers", "engineering", "staff"], GroupNames(await LoginAsync(settings, "alice", SlapdFixture.Passwords["alice"])));
        Assert.Equal(["cycle-a", "cycle-b"], GroupNames(await LoginAsync(settings, "carol", SlapdFixture.Passwords["carol"])));
    }

    [Fact]
    public async Task Login_MemberUidMode_FindsPosixGroupsByLoginName()
    {
        var settings = WithMembership(LdapGroupMembership.MemberUid, "memberUid", groupObjectClass: "posixGroup");

        var result = await LoginAsync(settings, "alice", SlapdFixture.Passwords["alice"]);

        Assert.Equal(["operators"], GroupNames(result));
        Assert.Empty((await LoginAsync(settings, "bob", SlapdFixture.Passwords["bob"])).User!.Groups);
    }

    [Fact]
    public async Task Login_BinaryGuidIdAttribute_GivesActiveDirectoryPrincipalsInObjectGuidByteOrder()
    {
        // AD's objectGUID is 16 raw bytes; slapd cannot hold objectGUID, so the fixture puts the
        // same bytes in an octet-string attribute and the settings point at it.
        var settings = slapd.Settings() with
        {
            UniqueIdAttribute = "audio",
            UniqueIdIsBinaryGuid = true,
            UserPrincipalKind = PrincipalKind.ActiveDirectoryUser,
            GroupPrincipalKind = PrincipalKind.ActiveDirectoryGroup,
        };

        var result = await LoginAsync(settings, "alice", SlapdFixture.Passwords["alice"]);

        Assert.Equal(LdapLoginStatus.Success, result.Status);
        Assert.Equal($"activedirectory_user://{SlapdFixture.BinaryGuid("uid=alice")}", result.User!.Principal.ToString());
        Assert.Equal(
            new[] { "cn=developers", "cn=engineering", "cn=staff" }.Select(rdn => $"activedirectory_group://{SlapdFixture.BinaryGuid(rdn)}").Order(StringComparer.Ordinal),
            result.User.Groups.Select(group => group.Principal.ToString()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Login_HungServer_ParksNoMoreThreadsThanTheBound()
    {
        using var silent = new SilentServer();
        var settings = slapd.Settings(port: silent.Port) with { Timeout = TimeSpan.FromMilliseconds(300) };
        using var authenticator = new LdapAuthenticator(settings, null, null, maximumAttemptsInFlight: 2);

        const int logins = 10;
        for (var i = 0; i < logins; i++)
        {
            Assert.Equal(LdapLoginStatus.Timeout, (await authenticator.LoginAsync("alice", SlapdFixture.Passwords["alice"])).Status);
        }

        // Each attempt that runs opens two connections (the TCP probe and libldap's own). Without the
        // bound all ten would: 20. With it, two attempts hang and the rest are refused before connecting
        // (4), plus a pair for each hung attempt that libldap itself gave up on meanwhile, which a busy
        // machine can allow once or twice.
        int accepted = await SettledAsync(() => silent.Accepted);
        Assert.InRange(accepted, 2, 8);
    }

    /// <summary>The value once it stops changing: the silent server's accept loop may lag behind the connects.</summary>
    private static async Task<int> SettledAsync(Func<int> read)
    {
        int value = read();
        for (var i = 0; i < 20; i++)
        {
            await Task.Delay(100);
            int next = read();
            if (next == value)
            {
                return value;
            }

            value = next;
        }

        return value;
    }

    [Fact]
    public async Task Login_Cancelled_StopsWaitingForAHungServer()
    {
        using var silent = new SilentServer();
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        using var authenticator = new LdapAuthenticator(slapd.Settings(port: silent.Port) with { Timeout = TimeSpan.FromSeconds(30) });
        var clock = Stopwatch.StartNew();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => authenticator.LoginAsync("alice", SlapdFixture.Passwords["alice"], cancel.Token));

        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Login_WrongPassword_IsInvalidCredentials()
    {
        var result = await LoginAsync(slapd.Settings(), "alice", SlapdFixture.Passwords["bob"]);

        Assert.Equal(LdapLoginStatus.InvalidCredentials, result.Status);
        Assert.Null(result.User);
    }

    [Fact]
    public async Task Login_EmptyPassword_IsRefusedBeforeAnyBind()
    {
        // Nothing listens on this port: an attempt to bind would come back ServerUnavailable.
        var settings = slapd.Settings(port: SlapdFixture.FreePort());

        var result = await LoginAsync(settings, "alice", "");

        Assert.Equal(LdapLoginStatus.EmptyPassword, result.Status);
        Assert.Equal(LdapLoginStatus.EmptyPassword, (await LoginAsync(slapd.Settings(), "alice", "")).Status);
    }

    [Fact]
    public async Task Login_UnknownUser_IsUserNotFound()
    {
        var result = await LoginAsync(slapd.Settings(), "mallory", "whatever-password");

        Assert.Equal(LdapLoginStatus.UserNotFound, result.Status);
    }

    [Theory]
    [InlineData("*)(uid=*", "alice")]
    [InlineData("admin)(|(uid=*", "admin")]
    [InlineData("*", "alice")]
    [InlineData("al*", "alice")]
    [InlineData("admin)(uid=admin", "admin")]
    public async Task Login_FilterInjectionUsername_MatchesNoUser(string username, string passwordOf)
    {
        // With the password of a real user: an unescaped filter would find that user (or several).
        var result = await LoginAsync(slapd.Settings(), username, SlapdFixture.Passwords[passwordOf]);

        Assert.Equal(LdapLoginStatus.UserNotFound, result.Status);
    }

    [Fact]
    public async Task Login_TwoEntriesWithTheLoginName_IsAmbiguousUser()
    {
        var result = await LoginAsync(slapd.Settings(), "dup", SlapdFixture.Passwords["dup"]);

        Assert.Equal(LdapLoginStatus.AmbiguousUser, result.Status);
        Assert.Null(result.User);
    }

    [Fact]
    public async Task Login_WrongServiceAccountPassword_IsServiceAccountRejected()
    {
        var wrong = slapd.Settings() with { ServiceAccountPassword = "not-the-password" };

        Assert.Equal(LdapLoginStatus.ServiceAccountRejected, (await LoginAsync(wrong, "alice", SlapdFixture.Passwords["alice"])).Status);
    }

    [Theory]
    [InlineData(LdapTlsMode.Ldaps)]
    [InlineData(LdapTlsMode.StartTls)]
    public async Task Login_OverTlsWithTheFixtureCa_Succeeds(LdapTlsMode mode)
    {
        var result = await LoginAsync(slapd.Settings(mode, slapd.CaPem), "alice", SlapdFixture.Passwords["alice"]);

        Assert.Equal(LdapLoginStatus.Success, result.Status);
        Assert.Equal(3, result.User!.Groups.Count);
    }

    [Theory]
    [InlineData(LdapTlsMode.Ldaps)]
    [InlineData(LdapTlsMode.StartTls)]
    public async Task Login_OverTlsWithAnUnknownCa_IsTlsFailure(LdapTlsMode mode)
    {
        var result = await LoginAsync(slapd.Settings(mode, slapd.UnknownCaPem), "alice", SlapdFixture.Passwords["alice"]);

        Assert.Equal(LdapLoginStatus.TlsFailure, result.Status);
    }

    [Theory]
    [InlineData(LdapTlsMode.Ldaps)]
    [InlineData(LdapTlsMode.StartTls)]
    public async Task Login_OverTlsToAnAddressTheCertificateDoesNotName_IsTlsFailure(LdapTlsMode mode)
    {
        // slapd listens on 127.0.0.2 too, with the same certificate, which names only 127.0.0.1
        // and localhost: the right CA alone must not be enough.
        var result = await LoginAsync(slapd.Settings(mode, slapd.CaPem, servers: ["127.0.0.2"]), "alice", SlapdFixture.Passwords["alice"]);

        Assert.Equal(LdapLoginStatus.TlsFailure, result.Status);
    }

    [Fact]
    public async Task Login_FirstServerDown_FailsOverToTheSecond()
    {
        // One port for every server (as in Rancher's settings): the first server is a loopback
        // address where that port is closed, the second is slapd.
        var settings = slapd.Settings(servers: ["127.0.0.3", "127.0.0.1"]);

        var result = await LoginAsync(settings, "alice", SlapdFixture.Passwords["alice"]);

        Assert.Equal(LdapLoginStatus.Success, result.Status);
    }

    [Fact]
    public async Task Login_FirstServerNeverAnswers_FailsOverToTheSecondAfterTheTimeout()
    {
        // slapd's port on 127.0.0.3 is free: a silent server takes it there.
        using var silent = new SilentServer(IPAddress.Parse("127.0.0.3"), slapd.LdapPort);
        var settings = slapd.Settings(servers: ["127.0.0.3", "127.0.0.1"]) with { Timeout = TimeSpan.FromSeconds(1) };

        var result = await LoginAsync(settings, "alice", SlapdFixture.Passwords["alice"]);

        Assert.Equal(LdapLoginStatus.Success, result.Status);
        Assert.True(silent.Accepted > 0);
    }

    [Fact]
    public async Task Login_AllServersDown_IsServerUnavailable()
    {
        var settings = slapd.Settings(servers: ["127.0.0.3", "127.0.0.4"]);

        var result = await LoginAsync(settings, "alice", SlapdFixture.Passwords["alice"]);

        Assert.Equal(LdapLoginStatus.ServerUnavailable, result.Status);
    }

    [Fact]
    public async Task Login_ServerAcceptsButNeverAnswers_IsTimeoutWithinTheConfiguredBound()
    {
        using var silent = new SilentServer();
        var bounded = slapd.Settings(port: silent.Port) with { Timeout = TimeSpan.FromSeconds(1) };
        var clock = Stopwatch.StartNew();

        var result = await LoginAsync(bounded, "alice", SlapdFixture.Passwords["alice"]);

        Assert.Equal(LdapLoginStatus.Timeout, result.Status);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(3));
        Assert.True(silent.Accepted > 0);
    }

    [Fact]
    public async Task Login_SuccessAndFailures_NeverLogAPassword()
    {
        await LoginAsync(slapd.Settings(), "alice", SlapdFixture.Passwords["alice"]);
        await LoginAsync(slapd.Settings(), "alice", SlapdFixture.Passwords["bob"]);
        await LoginAsync(slapd.Settings(), "dup", SlapdFixture.Passwords["dup"]);
        await LoginAsync(slapd.Settings() with { ServiceAccountPassword = "wrong-reader-secret" }, "carol", SlapdFixture.Passwords["carol"]);
        await LoginAsync(slapd.Settings(servers: ["127.0.0.3"]), "carol", SlapdFixture.Passwords["carol"]);

        var logged = _log.Text;
        Assert.Contains("alice", logged, StringComparison.Ordinal);
        foreach (var secret in new[] { SlapdFixture.Passwords["alice"], SlapdFixture.Passwords["bob"], SlapdFixture.Passwords["dup"],
                     SlapdFixture.Passwords["carol"], SlapdFixture.ServiceAccountPassword, "wrong-reader-secret" })
        {
            Assert.DoesNotContain(secret, logged, StringComparison.Ordinal);
        }
    }

    private LdapSettings WithMembership(LdapGroupMembership membership, string memberAttribute, string groupObjectClass = "groupOfNames")
        => slapd.Settings() with { GroupMembership = membership, GroupMemberAttribute = memberAttribute, GroupObjectClass = groupObjectClass };
}

