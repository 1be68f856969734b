namespace Appliance.Auth;

/// <summary>A user the directory authenticated, with every group principal found for them.</summary>
public sealed record LdapUser(
    PrincipalId Principal,
    string DistinguishedName,
    string DisplayName,
    string LoginName,
    IReadOnlyList<LdapGroup> Groups);
