using System.Text.Json.Nodes;

namespace Appliance.Api.Security;

/// <summary>
/// The RBAC objects every server starts with, named as kube-apiserver's bootstrap policy names them so
/// habits carry over (<c>kubectl create rolebinding --clusterrole=view</c>): cluster-admin for
/// system:masters, discovery and self-review for every authenticated user, and admin/edit/view over the
/// kinds served here. Created when missing; an operator's edits are kept.
/// </summary>
internal static class DefaultRbac
{
    private static readonly string[] ReadVerbs = ["get", "list", "watch"];
    private static readonly string[] WriteVerbs = ["create", "delete", "deletecollection", "patch", "update"];

    public static IEnumerable<(string Resource, JsonObject Object)> Objects()
    {
        yield return ("clusterroles", ClusterRole("cluster-admin",
            Rule(["*"], ["*"], ["*"]),
            NonResourceRule(["*"], ["*"])));
        yield return ("clusterroles", ClusterRole("system:discovery",
            NonResourceRule(["get"], ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz", "/version", "/version/"])));
        yield return ("clusterroles", ClusterRole("system:basic-user",
            Rule(["create"], ["authorization.k8s.io"], ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]),
            Rule(["create"], ["authentication.k8s.io"], ["selfsubjectreviews"])));
        yield return ("clusterroles", ClusterRole("view",
            Rule(ReadVerbs, [""], ["configmaps", "endpoints", "events", "namespaces", "pods", "serviceaccounts"])));
        yield return ("clusterroles", ClusterRole("edit",
            Rule(ReadVerbs, [""], ["configmaps", "endpoints", "events", "namespaces", "pods", "secrets", "serviceaccounts"]),
            Rule(WriteVerbs, [""], ["configmaps", "events", "pods", "secrets", "serviceaccounts"]),
            Rule(["impersonate"], [""], ["serviceaccounts"])));
        yield return ("clusterroles", ClusterRole("admin",
            Rule(ReadVerbs, [""], ["configmaps", "endpoints", "events", "namespaces", "pods", "secrets", "serviceaccounts"]),
            Rule(WriteVerbs, [""], ["configmaps", "events", "pods", "secrets", "serviceaccounts"]),
            Rule(["impersonate"], [""], ["serviceaccounts"]),
            Rule([.. ReadVerbs, .. WriteVerbs], [ResourceRegistry.RbacGroup], ["roles", "rolebindings"]),
            Rule(["create"], ["authorization.k8s.io"], ["localsubjectaccessreviews"])));
        yield return ("clusterrolebindings", ClusterRoleBinding("cluster-admin", "cluster-admin", "Group", RequestUser.MastersGroup));
        yield return ("clusterrolebindings", ClusterRoleBinding("system:discovery", "system:discovery", "Group", RequestUser.AuthenticatedGroup));
        yield return ("clusterrolebindings", ClusterRoleBinding("system:basic-user", "system:basic-user", "Group", RequestUser.AuthenticatedGroup));
    }

    /// <summary>Rancher's built-in GlobalRole: everything, everywhere (as cluster-admin); <c>appliance user add --admin</c> binds it.</summary>
    public const string AdminGlobalRole = "admin";

    public static JsonObject GlobalRoleAdmin() => new()
    {
        ["apiVersion"] = ResourceRegistry.ManagementGroup + "/v1",
        ["kind"] = "GlobalRole",
        ["metadata"] = Metadata(AdminGlobalRole),
        ["displayName"] = "Admin",
        ["description"] = "Every right on this server and, through the proxy, access to every cluster.",
        ["rules"] = new JsonArray(Rule(["*"], ["*"], ["*"]), NonResourceRule(["*"], ["*"])),
    };

    public static JsonObject ClusterRoleBinding(string name, string clusterRole, string subjectKind, string subjectName) => new()
    {
        ["apiVersion"] = ResourceRegistry.RbacGroup + "/v1",
        ["kind"] = "ClusterRoleBinding",
        ["metadata"] = Metadata(name),
        ["roleRef"] = new JsonObject { ["apiGroup"] = ResourceRegistry.RbacGroup, ["kind"] = "ClusterRole", ["name"] = clusterRole },
        ["subjects"] = new JsonArray(new JsonObject { ["apiGroup"] = ResourceRegistry.RbacGroup, ["kind"] = subjectKind, ["name"] = subjectName }),
    };

    private static JsonObject ClusterRole(string name, params JsonObject[] rules) => new()
    {
        ["apiVersion"] = ResourceRegistry.RbacGroup + "/v1",
        ["kind"] = "ClusterRole",
        ["metadata"] = Metadata(name),
        ["rules"] = new JsonArray([.. rules]),
    };

    private static JsonObject Metadata(string name) => new()
    {
        ["name"] = name,
        ["labels"] = new JsonObject { ["kubernetes.io/bootstrapping"] = "rbac-defaults" },
    };

    private static JsonObject Rule(string[] verbs, string[] apiGroups, string[] resources) => new()
    {
        ["verbs"] = Strings(verbs),
        ["apiGroups"] = Strings(apiGroups),
        ["resources"] = Strings(resources),
    };

    private static JsonObject NonResourceRule(string[] verbs, string[] urls) => new()
    {
        ["verbs"] = Strings(verbs),
        ["nonResourceURLs"] = Strings(urls),
    };

    private static JsonArray Strings(string[] values)
    {
        var array = new JsonArray();
        foreach (string value in values)
        {
            array.Add((JsonNode)value);
        }

        return array;
    }
}
