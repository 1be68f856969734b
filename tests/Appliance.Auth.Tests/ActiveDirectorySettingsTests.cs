namespace Appliance.Auth.Tests;

public sealed class ActiveDirectorySettingsTests
{
    private static LdapSettings ActiveDirectory => LdapSettings.ActiveDirectory(["dc1.corp.example"], "dc=corp,dc=example", "dc=corp,dc=example",
        "cn=reader,cn=Users,dc=corp,dc=example", "reader-secret");

    [Fact]
    public void ActiveDirectoryPreset_ChecksUserAccountControlsDisableBit()
    {
        Assert.Equal("userAccountControl", ActiveDirectory.UserEnabledAttribute);
        Assert.Equal(0x2, ActiveDirectory.UserDisabledBitMask);
        Assert.Empty(ActiveDirectory.Validate());
    }

    [Fact]
    public void OpenLdapPreset_ChecksNoEnabledAttribute()
    {
        var openLdap = LdapSettings.OpenLdap(["ldap.example.org"], "ou=people,dc=example,dc=org", "ou=groups,dc=example,dc=org",
            "cn=reader,dc=example,dc=org", "reader-secret");

        Assert.Equal("", openLdap.UserEnabledAttribute);
    }

    [Theory]
    [InlineData("userAccountControl)(cn=*", 2, "user enabled attribute")]
    [InlineData("userAccountControl", 0, "bit mask")]
    [InlineData("userAccountControl", -2, "bit mask")]
    public void Validate_RefusesAnUnusableEnabledCheck(string attribute, long mask, string problem)
    {
        var settings = ActiveDirectory with { UserEnabledAttribute = attribute, UserDisabledBitMask = mask };

        Assert.Contains(settings.Validate(), text => text.Contains(problem, StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_AcceptsNoEnabledCheckWhateverTheMask()
    {
        Assert.Empty((ActiveDirectory with { UserEnabledAttribute = "", UserDisabledBitMask = 0 }).Validate());
    }
}
