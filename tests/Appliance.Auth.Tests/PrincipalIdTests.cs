namespace Appliance.Auth.Tests;

public sealed class PrincipalIdTests
{
    [Theory]
    [InlineData("local://u-abcde", PrincipalKind.LocalUser, "u-abcde")]
    [InlineData("openldap_user://3f1c2b9e-0a4d-4c1e-9f6a-2b7d8e9f0a1b", PrincipalKind.OpenLdapUser, "3f1c2b9e-0a4d-4c1e-9f6a-2b7d8e9f0a1b")]
    [InlineData("openldap_group://3f1c2b9e-0a4d-4c1e-9f6a-2b7d8e9f0a1b", PrincipalKind.OpenLdapGroup, "3f1c2b9e-0a4d-4c1e-9f6a-2b7d8e9f0a1b")]
    [InlineData("activedirectory_user://3F1C2B9E-0A4D-4C1E-9F6A-2B7D8E9F0A1B", PrincipalKind.ActiveDirectoryUser, "3f1c2b9e-0a4d-4c1e-9f6a-2b7d8e9f0a1b")]
    [InlineData("activedirectory_group://3f1c2b9e-0a4d-4c1e-9f6a-2b7d8e9f0a1b", PrincipalKind.ActiveDirectoryGroup, "3f1c2b9e-0a4d-4c1e-9f6a-2b7d8e9f0a1b")]
    [InlineData("github_user://12345", PrincipalKind.GitHubUser, "12345")]
    [InlineData("github_org://9919", PrincipalKind.GitHubOrg, "9919")]
    [InlineData("github_team://1", PrincipalKind.GitHubTeam, "1")]
    public void Parse_KnownScheme_GivesKindAndNormalisedId(string text, PrincipalKind kind, string id)
    {
        var principal = PrincipalId.Parse(text);

        Assert.Equal(kind, principal.Kind);
        Assert.Equal(id, principal.Id);
        Assert.Equal(PrincipalId.SchemeOf(kind) + "://" + id, principal.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("local://")]
    [InlineData("local://admin")]
    [InlineData("local://u-ABCDE")]
    [InlineData("local://u-ab")]
    [InlineData("local://u-abcde/x")]
    [InlineData("openldap_user://not-a-uuid")]
    [InlineData("openldap_user://uid=alice,ou=people,dc=example,dc=org")]
    [InlineData("activedirectory_user://{3f1c2b9e-0a4d-4c1e-9f6a-2b7d8e9f0a1b}")]
    [InlineData("github_user://-1")]
    [InlineData("github_user://012")]
    [InlineData("github_user://12a")]
    [InlineData("github_user://99999999999999999999")]
    [InlineData("gitlab_user://1")]
    [InlineData("LOCAL://u-abcde")]
    [InlineData("local:u-abcde")]
    [InlineData("system://u-abcde")]
    public void TryParse_AnythingElse_IsRejected(string text)
    {
        Assert.False(PrincipalId.TryParse(text, out _));
        Assert.Throws<FormatException>(() => PrincipalId.Parse(text));
    }

    [Fact]
    public void Equality_SameUuidInDifferentCase_IsOnePrincipal()
    {
        var lower = PrincipalId.Parse("openldap_user://3f1c2b9e-0a4d-4c1e-9f6a-2b7d8e9f0a1b");
        var upper = PrincipalId.Parse("openldap_user://3F1C2B9E-0A4D-4C1E-9F6A-2B7D8E9F0A1B");

        Assert.Equal(lower, upper);
        Assert.Equal(lower.GetHashCode(), upper.GetHashCode());
        Assert.NotEqual(lower, PrincipalId.Parse("openldap_group://3f1c2b9e-0a4d-4c1e-9f6a-2b7d8e9f0a1b"));
    }

    [Fact]
    public void IsGroup_TrueOnlyForGroupKinds()
    {
        Assert.True(PrincipalId.Parse("github_team://7").IsGroup);
        Assert.True(PrincipalId.Parse("openldap_group://3f1c2b9e-0a4d-4c1e-9f6a-2b7d8e9f0a1b").IsGroup);
        Assert.False(PrincipalId.Parse("local://u-abcde").IsGroup);
        Assert.False(PrincipalId.Parse("github_user://7").IsGroup);
    }
}
