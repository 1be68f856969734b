using System.Text.Json;
using Appliance.Auth;
using Appliance.Store;

namespace Appliance.Api.Security;

/// <summary>
/// Who may reach a downstream cluster through the proxy, as in Rancher: a user whose global rights cover
/// the cluster (RBAC <c>get</c> on management clusters/{id}, e.g. the admin's cluster-admin), or who holds a
/// ClusterRoleTemplateBinding in it, or a ProjectRoleTemplateBinding in one of its projects, directly or
/// through a group principal. What the user may do there is the downstream cluster's RBAC to decide.
/// </summary>
public sealed class ClusterAccess(RbacCache rbac, KeyValueStore store)
{
    private const string Prefix = "/registry/" + ResourceRegistry.ManagementGroup + "/";

    public bool MayUseCluster(AuthenticatedUser user, string clusterId)
    {
        ArgumentNullException.ThrowIfNull(user);
        return MayUseCluster(new RequestUser(user.UserId, user.UserId, [.. user.Groups, RequestUser.AuthenticatedGroup], RequestUser.NoExtra), clusterId);
    }

    /// <summary>The same for the caller of an API request (its groups include <c>system:authenticated</c>).</summary>
    public bool MayUseCluster(RequestUser requestUser, string clusterId)
    {
        ArgumentNullException.ThrowIfNull(requestUser);
        RequestAttributes useCluster = RequestAttributes.ForResource("get", ResourceRegistry.ManagementGroup, "clusters", "", "", clusterId);
        if (RbacAuthorizer.Authorize(rbac.Snapshot, requestUser, useCluster).Allowed)
        {
            return true;
        }

        foreach (KeyValue item in store.Range(Prefix + "clusterroletemplatebindings/").Items)
        {
            using JsonDocument binding = JsonDocument.Parse(item.Value);
            if (Text(binding.RootElement, "clusterName") == clusterId && Names(binding.RootElement, requestUser))
            {
                return true;
            }
        }

        HashSet<string>? projects = null;
        foreach (KeyValue item in store.Range(Prefix + "projectroletemplatebindings/").Items)
        {
            using JsonDocument binding = JsonDocument.Parse(item.Value);
            if (Names(binding.RootElement, requestUser))
            {
                projects ??= ProjectsOf(clusterId);
                if (projects.Contains(Text(binding.RootElement, "projectName") ?? ""))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private HashSet<string> ProjectsOf(string clusterId)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (KeyValue item in store.Range(Prefix + "projects/").Items)
        {
            using JsonDocument project = JsonDocument.Parse(item.Value);
            JsonElement root = project.RootElement;
            if (root.TryGetProperty("spec", out JsonElement spec) && Text(spec, "clusterName") == clusterId
                && root.TryGetProperty("metadata", out JsonElement metadata) && Text(metadata, "name") is string name)
            {
                names.Add(name);
            }
        }

        return names;
    }

    /// <summary>Whether a binding's subject (<c>userName</c> or <c>groupPrincipalName</c>) is this user.</summary>
    private static bool Names(JsonElement binding, RequestUser user)
    {
        string? userName = Text(binding, "userName");
        if (userName is not null)
        {
            return userName == user.Name;
        }

        string? group = Text(binding, "groupPrincipalName");
        return group is not null && user.Groups.Contains(group);
    }

    private static string? Text(JsonElement obj, string property)
        => obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(property, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
