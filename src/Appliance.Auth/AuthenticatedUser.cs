namespace Appliance.Auth;

/// <summary>
/// Who a credential belongs to. <see cref="UserId"/> is the User object's name (<c>u-xxxxx</c>): the name
/// Kubernetes RBAC and the proxy's <c>Impersonate-User</c> see. <see cref="Groups"/> are group principal ids.
/// </summary>
public sealed record AuthenticatedUser(string UserId, string DisplayName, IReadOnlyList<string> PrincipalIds, IReadOnlyList<string> Groups, string TokenName);
