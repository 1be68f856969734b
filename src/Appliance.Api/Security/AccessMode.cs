using System.Text.Json.Nodes;
using Appliance.Auth;
using Appliance.Store;

namespace Appliance.Api.Security;

/// <summary>
/// Whom an AuthConfig admits, by its <c>accessMode</c> (Rancher's three): <c>unrestricted</c> every user the
/// provider authenticates; <c>required</c> only a user whose principal or one of whose group principals is in
/// <c>allowedPrincipalIds</c>; <c>restricted</c> those, plus a user already bound to a role (the User by name,
/// or one of its group principals, as the subject of a ClusterRoleBinding, RoleBinding, GlobalRoleBinding,
/// ClusterRoleTemplateBinding or ProjectRoleTemplateBinding), Rancher's "members of clusters and projects".
/// Bindings to everyone (<c>system:authenticated</c>) admit no one: they are not the user's own.
/// </summary>
public static class AccessMode
{
    private static readonly string[] TemplateBindingPrefixes =
    [
        "/registry/" + ResourceRegistry.ManagementGroup + "/clusterroletemplatebindings/",
        "/registry/" + ResourceRegistry.ManagementGroup + "/projectroletemplatebindings/",
    ];

    /// <summary>Null when <paramref name="config"/> admits the user; otherwise why not, in words for the user and the log.</summary>
    /// <param name="userId">The user's User name when it has one already (a restricted config admits users bound by name).</param>
    public static string? Refusal(JsonObject config, PrincipalId user, IReadOnlyCollection<string> groups, string? userId, RbacSnapshot rbac, KeyValueStore store)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentNullException.ThrowIfNull(rbac);
        ArgumentNullException.ThrowIfNull(store);
        string mode = FieldRules.Text(config["accessMode"]) ?? "unrestricted";
        if (mode == "unrestricted" || IsAllowed(config, user, groups))
        {
            return null;
        }

        if (mode == "restricted" && IsBound(userId, groups, rbac, store))
        {
            return null;
        }

        string provider = FieldRules.Text(config["metadata"]?["name"]) ?? "this provider";
        return mode == "restricted"
            ? $"{user} may not sign in through {provider}: its access mode is restricted, and neither the user nor any of its groups is allowed or bound to a role"
            : $"{user} may not sign in through {provider}: its access mode is required, and neither the user nor any of its groups is allowed";
    }

    private static bool IsAllowed(JsonObject config, PrincipalId user, IReadOnlyCollection<string> groups)
    {
        if (config["allowedPrincipalIds"] is not JsonArray allowed)
        {
            return false;
        }

        foreach (JsonNode? node in allowed)
        {
            // Parsed, so a principal is matched in its canonical spelling (GUIDs in lower case) whatever was typed.
            if (PrincipalId.TryParse(FieldRules.Text(node), out PrincipalId principal) && (principal == user || groups.Contains(principal.ToString())))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsBound(string? userId, IReadOnlyCollection<string> groups, RbacSnapshot rbac, KeyValueStore store)
    {
        bool Names(RbacSubject subject) => subject.Kind switch
        {
            "User" => userId is not null && subject.Name == userId,
            "Group" => groups.Contains(subject.Name),
            _ => false,
        };

        if (rbac.ClusterRoleBindings.Any(binding => binding.Subjects.Any(Names))
            || rbac.RoleBindings.Values.Any(bindings => bindings.Any(binding => binding.Subjects.Any(Names))))
        {
            return true;
        }

        foreach (string prefix in TemplateBindingPrefixes)
        {
            foreach (KeyValue item in store.Range(prefix).Items)
            {
                if (JsonNode.Parse(item.Value) is JsonObject binding
                    && ((userId is not null && FieldRules.Text(binding["userName"]) == userId)
                        || (FieldRules.Text(binding["groupPrincipalName"]) is string group && groups.Contains(group))))
                {
                    return true;
                }
            }
        }

        return false;
    }
}
