namespace Appliance.Api.Security;

/// <summary>
/// Kubernetes RBAC (kube's <c>plugin/pkg/auth/authorizer/rbac</c>): allowed when a ClusterRoleBinding, a
/// GlobalRoleBinding (a GlobalRole is a ClusterRole of the management API, as in Rancher), or a RoleBinding
/// in the request's namespace binds a rule that matches to one of the user's subjects.
/// Nothing is ever denied explicitly; ClusterRole aggregation is not evaluated.
/// </summary>
public static class RbacAuthorizer
{
    public static AuthorizationDecision Authorize(RbacSnapshot rbac, RequestUser user, in RequestAttributes request)
    {
        ArgumentNullException.ThrowIfNull(rbac);
        ArgumentNullException.ThrowIfNull(user);
        foreach (RbacBinding binding in rbac.ClusterRoleBindings)
        {
            if (Grants(rbac, binding, user, request, out RbacSubject? subject))
            {
                return new AuthorizationDecision(true, $"RBAC: allowed by {binding.Kind} \"{binding.Name}\" of {binding.RoleKind} \"{binding.RoleName}\" to {subject.Kind} \"{subject.Name}\"");
            }
        }

        if (request.Namespace.Length > 0 && rbac.RoleBindings.TryGetValue(request.Namespace, out RbacBinding[]? bindings))
        {
            foreach (RbacBinding binding in bindings)
            {
                if (Grants(rbac, binding, user, request, out RbacSubject? subject))
                {
                    return new AuthorizationDecision(true, $"RBAC: allowed by RoleBinding \"{binding.Name}/{binding.Namespace}\" of {binding.RoleKind} \"{binding.RoleName}\" to {subject.Kind} \"{subject.Name}\"");
                }
            }
        }

        return new AuthorizationDecision(false, "");
    }

    /// <summary>kube-apiserver's forbidden wording: who cannot do what, where.</summary>
    public static string DeniedMessage(RequestUser user, in RequestAttributes request)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (!request.IsResourceRequest)
        {
            return $"User \"{user.Name}\" cannot {request.Verb} path \"{request.Path}\"";
        }

        string resource = request.Subresource.Length == 0 ? request.Resource : request.Resource + "/" + request.Subresource;
        return request.Namespace.Length > 0
            ? $"User \"{user.Name}\" cannot {request.Verb} resource \"{resource}\" in API group \"{request.ApiGroup}\" in the namespace \"{request.Namespace}\""
            : $"User \"{user.Name}\" cannot {request.Verb} resource \"{resource}\" in API group \"{request.ApiGroup}\" at the cluster scope";
    }

    private static bool Grants(RbacSnapshot rbac, RbacBinding binding, RequestUser user, in RequestAttributes request, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out RbacSubject? subject)
    {
        subject = null;
        foreach (RbacSubject candidate in binding.Subjects)
        {
            if (candidate.AppliesTo(user, binding.Namespace))
            {
                subject = candidate;
                break;
            }
        }

        if (subject is null)
        {
            return false;
        }

        PolicyRule[]? rules = binding.RoleKind switch
        {
            "ClusterRole" => rbac.ClusterRoles.GetValueOrDefault(binding.RoleName),
            "GlobalRole" => rbac.GlobalRoles.GetValueOrDefault(binding.RoleName),
            // A ClusterRoleBinding can only reference ClusterRoles; a Role is looked up in the binding's namespace.
            "Role" when binding.Namespace.Length > 0 => rbac.Roles.GetValueOrDefault((binding.Namespace, binding.RoleName)),
            _ => null,
        };
        if (rules is null)
        {
            return false;
        }

        foreach (PolicyRule rule in rules)
        {
            if (rule.Allows(request))
            {
                return true;
            }
        }

        return false;
    }
}
