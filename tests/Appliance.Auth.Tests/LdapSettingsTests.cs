namespace Appliance.Auth.Tests;

public sealed class LdapSettingsTests
{
    private static LdapSettings Valid => LdapSettings.OpenLdap(["ldap.example.org"], "ou=people,dc=example,dc=org",
        "ou=groups,dc=example,dc=org", "cn=reader,dc=example,dc=org", "reader-secret");

    [Fact]
    public void OpenLdapPreset_IsValid_AndKeysPrincipalsByEntryUuid()
    {
        Assert.Empty(Valid.Validate());
        Assert.Equal("uid", Valid.LoginAttribute);
        Assert.Equal("entryUUID", Valid.UniqueIdAttribute);
        Assert.Equal(LdapGroupMembership.MemberDn, Valid.GroupMembership);
        Assert.Equal(PrincipalKind.OpenLdapUser, Valid.UserPrincipalKind);
        Assert.Equal(LdapTlsMode.StartTls, Valid.TlsMode);
    }

    [Fact]
    public void ActiveDirectoryPreset_IsValid_AndKeysPrincipalsByObjectGuid()
    {
        var settings = LdapSettings.ActiveDirectory(["dc1.corp.example"], "dc=corp,dc=example", "dc=corp,dc=example",
            "cn=reader,cn=Users,dc=corp,dc=example", "reader-secret");

        Assert.Empty(settings.Validate());
        Assert.Equal("sAMAccountName", settings.LoginAttribute);
        Assert.Equal("objectGUID", settings.UniqueIdAttribute);
        Assert.True(settings.UniqueIdIsBinaryGuid);
        Assert.True(settings.UseMatchingRuleInChain);
        Assert.Equal(PrincipalKind.ActiveDirectoryUser, settings.UserPrincipalKind);
        Assert.Equal(PrincipalKind.ActiveDirectoryGroup, settings.GroupPrincipalKind);
    }

    [Fact]
    public void Validate_NamesEachProblem()
    {
        var settings = Valid with
        {
            Servers = [],
            Port = 0,
            ServiceAccountPassword = "",
            LoginAttribute = "uid)(cn=*",
            CaCertificatesPem = "not a certificate",
            Timeout = TimeSpan.Zero,
        };

        var problems = settings.Validate();

        Assert.Contains(problems, problem => problem.Contains("server", StringComparison.Ordinal));
        Assert.Contains(problems, problem => problem.Contains("port 0", StringComparison.Ordinal));
        Assert.Contains(problems, problem => problem.Contains("service account", StringComparison.Ordinal));
        Assert.Contains(problems, problem => problem.Contains("login attribute", StringComparison.Ordinal));
        Assert.Contains(problems, problem => problem.Contains("CA certificate bundle", StringComparison.Ordinal));
        Assert.Contains(problems, problem => problem.Contains("timeout", StringComparison.Ordinal));
        Assert.Throws<ArgumentException>(() => new LdapAuthenticator(settings));
    }

    [Fact]
    public void ToString_LeavesOutTheServiceAccountPassword()
    {
        Assert.DoesNotContain("reader-secret", Valid.ToString(), StringComparison.Ordinal);
        Assert.Contains("ldap.example.org", Valid.ToString(), StringComparison.Ordinal);
    }
}
