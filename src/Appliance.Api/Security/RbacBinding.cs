namespace Appliance.Api.Security;

/// <summary>
/// A RoleBinding (with its namespace), ClusterRoleBinding or GlobalRoleBinding (empty namespace), as the
/// authorizer reads it; <paramref name="Kind"/> names which, for the reason an access review reports.
/// </summary>
public sealed record RbacBinding(string Kind, string Name, string Namespace, string RoleKind, string RoleName, RbacSubject[] Subjects);
