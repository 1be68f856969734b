using System.Text.Json;

namespace Appliance.Api.Security;

/// <summary>
/// Every Role, ClusterRole and binding, parsed once per change and then read without locks by every
/// request (an immutable value swapped as a whole, like an informer's cache).
/// </summary>
public sealed class RbacSnapshot
{
    public const string KeyPrefix = "/registry/" + ResourceRegistry.RbacGroup + "/";
    public const string GlobalRolesPrefix = "/registry/" + ResourceRegistry.ManagementGroup + "/globalroles/";
    public const string GlobalRoleBindingsPrefix = "/registry/" + ResourceRegistry.ManagementGroup + "/globalrolebindings/";

    /// <summary>Every store prefix the snapshot is built from.</summary>
    public static readonly string[] Prefixes = [KeyPrefix, GlobalRolesPrefix, GlobalRoleBindingsPrefix];

    public static readonly RbacSnapshot Empty = Build([]);

    private RbacSnapshot(
        Dictionary<string, PolicyRule[]> globalRoles,
        Dictionary<string, PolicyRule[]> clusterRoles,
        Dictionary<(string Namespace, string Name), PolicyRule[]> roles,
        RbacBinding[] clusterRoleBindings,
        Dictionary<string, RbacBinding[]> roleBindings)
    {
        GlobalRoles = globalRoles;
        ClusterRoles = clusterRoles;
        Roles = roles;
        ClusterRoleBindings = clusterRoleBindings;
        RoleBindings = roleBindings;
    }

    public IReadOnlyDictionary<string, PolicyRule[]> ClusterRoles { get; }

    public IReadOnlyDictionary<string, PolicyRule[]> GlobalRoles { get; }

    public IReadOnlyDictionary<(string Namespace, string Name), PolicyRule[]> Roles { get; }

    /// <summary>ClusterRoleBindings and GlobalRoleBindings: both apply everywhere.</summary>
    public IReadOnlyList<RbacBinding> ClusterRoleBindings { get; }

    /// <summary>RoleBindings by namespace.</summary>
    public IReadOnlyDictionary<string, RbacBinding[]> RoleBindings { get; }

    /// <summary>Builds from stored objects (store key and JSON value); objects that do not parse are skipped.</summary>
    public static RbacSnapshot Build(IEnumerable<KeyValuePair<string, byte[]>> objects)
    {
        var globalRoles = new Dictionary<string, PolicyRule[]>(StringComparer.Ordinal);
        var clusterRoles = new Dictionary<string, PolicyRule[]>(StringComparer.Ordinal);
        var roles = new Dictionary<(string, string), PolicyRule[]>();
        var clusterRoleBindings = new List<RbacBinding>();
        var roleBindings = new Dictionary<string, List<RbacBinding>>(StringComparer.Ordinal);
        foreach ((string key, byte[] value) in objects)
        {
            JsonElement root;
            try
            {
                using JsonDocument document = JsonDocument.Parse(value);
                root = document.RootElement.Clone();
            }
            catch (JsonException)
            {
                continue;
            }

            if (key.StartsWith(GlobalRolesPrefix, StringComparison.Ordinal))
            {
                globalRoles[key[GlobalRolesPrefix.Length..]] = ReadRules(root);
                continue;
            }

            if (key.StartsWith(GlobalRoleBindingsPrefix, StringComparison.Ordinal))
            {
                clusterRoleBindings.Add(ReadGlobalRoleBinding(root, key[GlobalRoleBindingsPrefix.Length..]));
                continue;
            }

            // /registry/rbac.authorization.k8s.io/{resource}/[{namespace}/]{name}
            switch (key[KeyPrefix.Length..].Split('/'))
            {
                case ["clusterroles", string name]:
                    clusterRoles[name] = ReadRules(root);
                    break;
                case ["roles", string namespaceName, string name]:
                    roles[(namespaceName, name)] = ReadRules(root);
                    break;
                case ["clusterrolebindings", string name]:
                    clusterRoleBindings.Add(ReadBinding(root, "ClusterRoleBinding", name, ""));
                    break;
                case ["rolebindings", string namespaceName, string name]:
                    if (!roleBindings.TryGetValue(namespaceName, out List<RbacBinding>? list))
                    {
                        roleBindings[namespaceName] = list = [];
                    }

                    list.Add(ReadBinding(root, "RoleBinding", name, namespaceName));
                    break;
            }
        }

        var byNamespace = new Dictionary<string, RbacBinding[]>(roleBindings.Count, StringComparer.Ordinal);
        foreach ((string namespaceName, List<RbacBinding> list) in roleBindings)
        {
            byNamespace[namespaceName] = [.. list];
        }

        return new RbacSnapshot(globalRoles, clusterRoles, roles, [.. clusterRoleBindings], byNamespace);
    }

    private static PolicyRule[] ReadRules(JsonElement role)
    {
        if (!role.TryGetProperty("rules", out JsonElement rules) || rules.ValueKind != JsonValueKind.Array)
        {
            return [];
        }

        var result = new List<PolicyRule>();
        foreach (JsonElement rule in rules.EnumerateArray())
        {
            result.Add(new PolicyRule(
                Strings(rule, "verbs"), Strings(rule, "apiGroups"), Strings(rule, "resources"),
                Strings(rule, "resourceNames"), Strings(rule, "nonResourceURLs")));
        }

        return [.. result];
    }

    /// <summary>A GlobalRoleBinding: its <c>userName</c> (a User) or <c>groupPrincipalName</c> (a Group) holds <c>globalRoleName</c>.</summary>
    private static RbacBinding ReadGlobalRoleBinding(JsonElement binding, string name)
    {
        string user = String(binding, "userName");
        RbacSubject subject = user.Length > 0 ? new RbacSubject("User", user, "") : new RbacSubject("Group", String(binding, "groupPrincipalName"), "");
        return new RbacBinding("GlobalRoleBinding", name, "", "GlobalRole", String(binding, "globalRoleName"), [subject]);
    }

    private static RbacBinding ReadBinding(JsonElement binding, string kind, string name, string namespaceName)
    {
        var subjects = new List<RbacSubject>();
        if (binding.TryGetProperty("subjects", out JsonElement list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement subject in list.EnumerateArray())
            {
                subjects.Add(new RbacSubject(String(subject, "kind"), String(subject, "name"), String(subject, "namespace")));
            }
        }

        binding.TryGetProperty("roleRef", out JsonElement roleRef);
        return new RbacBinding(kind, name, namespaceName, String(roleRef, "kind"), String(roleRef, "name"), [.. subjects]);
    }

    private static string[] Strings(JsonElement obj, string property)
    {
        if (!obj.TryGetProperty(property, out JsonElement list) || list.ValueKind != JsonValueKind.Array)
        {
            return [];
        }

        var result = new List<string>(list.GetArrayLength());
        foreach (JsonElement item in list.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.String)
            {
                result.Add(item.GetString()!);
            }
        }

        return [.. result];
    }

    private static string String(JsonElement obj, string property)
        => obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(property, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "";
}
