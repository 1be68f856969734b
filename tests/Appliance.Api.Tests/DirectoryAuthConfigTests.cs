using System.Text.Json.Nodes;
using Appliance.Api.Security;
using Appliance.Auth;

namespace Appliance.Api.Tests;

/// <summary>The AuthConfig's directory fields become the engine's settings: the provider's preset, then what the config sets.</summary>
public sealed class DirectoryAuthConfigTests
{
    private static JsonObject Config(string provider, Action<JsonObject>? change = null)
    {
        var config = new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = provider },
            ["enabled"] = true,
            ["servers"] = new JsonArray("dc1.example.org", "dc2.example.org"),
            [DirectoryAuthConfig.ServiceAccountField(provider)] = provider == "activedirectory" ? "reader@example.org" : "cn=reader,dc=example,dc=org",
            ["serviceAccountPasswordSecretRef"] = new JsonObject { ["name"] = "reader" },
            ["userSearchBase"] = "dc=example,dc=org",
        };
        change?.Invoke(config);
        return config;
    }

    private static List<ApiStatusCause> Validate(JsonObject config)
    {
        var causes = new List<ApiStatusCause>();
        ManagementObjectRules.PrepareAuthConfig(config, causes);
        return causes;
    }

    [Fact]
    public void ActiveDirectory_GetsThePresetsObjectGuidPrincipals_AndInChainNestingOnlyWhenEnabled()
    {
        JsonObject config = Config("activedirectory");
        Assert.Empty(Validate(config));

        LdapSettings flat = DirectoryAuthConfig.ToSettings("activedirectory", config, "pw");
        Assert.Equal(["dc1.example.org", "dc2.example.org"], flat.Servers);
        Assert.Equal("objectGUID", flat.UniqueIdAttribute);
        Assert.True(flat.UniqueIdIsBinaryGuid);
        Assert.Equal(PrincipalKind.ActiveDirectoryUser, flat.UserPrincipalKind);
        Assert.Equal("sAMAccountName", flat.LoginAttribute);
        Assert.Equal("reader@example.org", flat.ServiceAccountDn);
        Assert.Equal("dc=example,dc=org", flat.GroupSearchBase);
        Assert.Equal(LdapTlsMode.StartTls, flat.TlsMode);
        Assert.Equal(389, flat.Port);
        Assert.Equal(TimeSpan.FromSeconds(5), flat.Timeout);
        Assert.False(flat.UseMatchingRuleInChain);
        Assert.Equal(0, flat.NestedGroupDepth);

        config["nestedGroupMembershipEnabled"] = true;
        config["userLoginAttribute"] = "userPrincipalName";
        config["tlsMode"] = "ldaps";
        config["connectionTimeout"] = 2500;
        LdapSettings nested = DirectoryAuthConfig.ToSettings("activedirectory", config, "pw");
        Assert.True(nested.UseMatchingRuleInChain);
        Assert.Equal("userPrincipalName", nested.LoginAttribute);
        Assert.Equal(636, nested.Port);
        Assert.Equal(TimeSpan.FromMilliseconds(2500), nested.Timeout);
        Assert.Empty(nested.Validate());
    }

    [Theory]
    [InlineData("memberUid", LdapGroupMembership.MemberUid, "memberUid")]
    [InlineData("memberOf", LdapGroupMembership.MemberOf, "member")]
    [InlineData("uniqueMember", LdapGroupMembership.MemberDn, "uniqueMember")]
    public void GroupMemberMappingAttribute_ChoosesHowGroupsAreFound(string mapping, LdapGroupMembership membership, string attribute)
    {
        LdapSettings settings = DirectoryAuthConfig.ToSettings("openldap", Config("openldap", c => c["groupMemberMappingAttribute"] = mapping), "pw");

        Assert.Equal(membership, settings.GroupMembership);
        Assert.Equal(attribute, settings.GroupMemberAttribute);
        Assert.Equal("entryUUID", settings.UniqueIdAttribute);
    }

    [Fact]
    public void DisabledConfig_MayBeIncomplete_ButAnEnabledOneNeedsWhatALoginNeeds()
    {
        var skeleton = new JsonObject { ["metadata"] = new JsonObject { ["name"] = "openldap" }, ["enabled"] = false, ["accessMode"] = "restricted" };
        Assert.Empty(Validate(skeleton));

        skeleton["enabled"] = true;
        Assert.Equal(
            ["servers", "serviceAccountDistinguishedName", "serviceAccountPasswordSecretRef", "userSearchBase"],
            Validate(skeleton).Select(cause => cause.Field!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void OtherAuthConfigs_AreNotHeldToTheDirectoryFields()
        => Assert.Empty(Validate(new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "github" },
            ["enabled"] = true,
            ["servers"] = "anything",
            ["clientId"] = "Ov23liABCDEFGHIJKLMN",
            ["clientSecretSecretRef"] = new JsonObject { ["name"] = "github-oauth" },
        }));
}
