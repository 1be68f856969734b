namespace Appliance.Api.Security;

/// <summary>A RoleBinding (with its namespace) or ClusterRoleBinding (empty namespace), as the authorizer reads it.</summary>
public sealed record RbacBinding(string Name, string Namespace, string RoleKind, string RoleName, RbacSubject[] Subjects);
