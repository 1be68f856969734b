namespace Appliance.Auth;

/// <summary>The provider and kind of a principal; each maps to one URI scheme of <see cref="PrincipalId"/>.</summary>
public enum PrincipalKind
{
    LocalUser,
    OpenLdapUser,
    OpenLdapGroup,
    ActiveDirectoryUser,
    ActiveDirectoryGroup,
    GitHubUser,
    GitHubOrg,
    GitHubTeam,
}
