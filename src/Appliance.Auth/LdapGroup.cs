namespace Appliance.Auth;

/// <summary>A group a user is in, directly or through nesting.</summary>
public sealed record LdapGroup(PrincipalId Principal, string DistinguishedName, string Name);
