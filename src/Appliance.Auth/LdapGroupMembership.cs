namespace Appliance.Auth;

/// <summary>Where the directory records who is in a group.</summary>
public enum LdapGroupMembership
{
    /// <summary>Groups list member DNs (<c>groupOfNames</c>/<c>member</c>, AD <c>group</c>/<c>member</c>); groups can nest.</summary>
    MemberDn,

    /// <summary>Groups list member login names (<c>posixGroup</c>/<c>memberUid</c>, RFC 2307); a login name cannot name a group, so no nesting.</summary>
    MemberUid,

    /// <summary>Users (and nested groups) carry <c>memberOf</c> DNs (AD, or OpenLDAP's memberof overlay).</summary>
    MemberOf,
}
