using System.Text;
using System.Text.Json.Nodes;
using Appliance.Api.Security;

namespace Appliance.Api.Tests;

/// <summary>RBAC decisions over a snapshot built from stored objects, as kube's authorizer makes them.</summary>
public sealed class RbacAuthorizerTests
{
    private static readonly RequestUser Alice = new("alice", "", ["devs", RequestUser.AuthenticatedGroup], RequestUser.NoExtra);
    private static readonly RequestUser Builder = new("system:serviceaccount:ci:builder", "", [RequestUser.ServiceAccountsGroup], RequestUser.NoExtra);

    private static KeyValuePair<string, byte[]> Stored(string resource, string? namespaceName, string name, JsonObject obj)
        => new(RbacSnapshot.KeyPrefix + resource + "/" + (namespaceName is null ? "" : namespaceName + "/") + name, Encoding.UTF8.GetBytes(obj.ToJsonString()));

    private static JsonObject Role(params JsonObject[] rules) => new() { ["rules"] = new JsonArray([.. rules]) };

    private static JsonObject Rule(string verbs, string groups, string resources, string? names = null, string? urls = null)
    {
        var rule = new JsonObject { ["verbs"] = Strings(verbs) };
        if (urls is not null)
        {
            rule["nonResourceURLs"] = Strings(urls);
            return rule;
        }

        rule["apiGroups"] = Strings(groups);
        rule["resources"] = Strings(resources);
        if (names is not null)
        {
            rule["resourceNames"] = Strings(names);
        }

        return rule;
    }

    private static JsonArray Strings(string commaSeparated)
        => new([.. commaSeparated.Split(',').Select(static s => (JsonNode?)JsonValue.Create(s))]);

    private static JsonObject Binding(string roleKind, string roleName, string subjectKind, string subjectName, string? subjectNamespace = null)
    {
        var subject = new JsonObject { ["kind"] = subjectKind, ["name"] = subjectName };
        if (subjectNamespace is not null)
        {
            subject["namespace"] = subjectNamespace;
        }

        return new JsonObject
        {
            ["roleRef"] = new JsonObject { ["apiGroup"] = "rbac.authorization.k8s.io", ["kind"] = roleKind, ["name"] = roleName },
            ["subjects"] = new JsonArray(subject),
        };
    }

    private static bool Allowed(RbacSnapshot rbac, RequestUser user, RequestAttributes request) => RbacAuthorizer.Authorize(rbac, user, request).Allowed;

    [Fact]
    public void RoleBinding_GrantsItsRuleInItsNamespaceOnly()
    {
        RbacSnapshot rbac = RbacSnapshot.Build(
        [
            Stored("roles", "team", "reader", Role(Rule("get,list", "", "configmaps"))),
            Stored("rolebindings", "team", "alice-reads", Binding("Role", "reader", "User", "alice")),
        ]);

        Assert.True(Allowed(rbac, Alice, RequestAttributes.ForResource("list", "", "configmaps", namespaceName: "team")));
        Assert.False(Allowed(rbac, Alice, RequestAttributes.ForResource("list", "", "configmaps", namespaceName: "other")));
        Assert.False(Allowed(rbac, Alice, RequestAttributes.ForResource("list", "", "configmaps")));
        Assert.False(Allowed(rbac, Alice, RequestAttributes.ForResource("delete", "", "configmaps", namespaceName: "team", name: "x")));
        Assert.False(Allowed(rbac, Alice, RequestAttributes.ForResource("list", "", "secrets", namespaceName: "team")));
        Assert.False(Allowed(rbac, Alice, RequestAttributes.ForResource("list", "apps", "configmaps", namespaceName: "team")));
    }

    [Fact]
    public void ClusterRoleBinding_ToAGroup_GrantsEverywhere_AndTheReasonNamesTheBinding()
    {
        RbacSnapshot rbac = RbacSnapshot.Build(
        [
            Stored("clusterroles", null, "view", Role(Rule("get", "*", "*"))),
            Stored("clusterrolebindings", null, "devs-view", Binding("ClusterRole", "view", "Group", "devs")),
        ]);

        AuthorizationDecision decision = RbacAuthorizer.Authorize(rbac, Alice, RequestAttributes.ForResource("get", "apps", "deployments", namespaceName: "any", name: "web"));
        Assert.True(decision.Allowed);
        Assert.Equal("RBAC: allowed by ClusterRoleBinding \"devs-view\" of ClusterRole \"view\" to Group \"devs\"", decision.Reason);
        Assert.False(Allowed(rbac, new RequestUser("bob", "", [], RequestUser.NoExtra), RequestAttributes.ForResource("get", "apps", "deployments", namespaceName: "any", name: "web")));
    }

    [Fact]
    public void Subresources_MatchExactlyOrByStarSlash_NotByTheBareResource()
    {
        RbacSnapshot rbac = RbacSnapshot.Build(
        [
            Stored("clusterroles", null, "pods", Role(Rule("get", "", "pods"), Rule("create", "", "*/token"), Rule("update", "", "pods/status"))),
            Stored("clusterrolebindings", null, "alice", Binding("ClusterRole", "pods", "User", "alice")),
        ]);

        Assert.True(Allowed(rbac, Alice, RequestAttributes.ForResource("get", "", "pods", "", "ns", "p")));
        Assert.False(Allowed(rbac, Alice, RequestAttributes.ForResource("get", "", "pods", "log", "ns", "p")));
        Assert.True(Allowed(rbac, Alice, RequestAttributes.ForResource("create", "", "serviceaccounts", "token", "ns", "sa")));
        Assert.True(Allowed(rbac, Alice, RequestAttributes.ForResource("update", "", "pods", "status", "ns", "p")));
        Assert.False(Allowed(rbac, Alice, RequestAttributes.ForResource("update", "", "pods", "", "ns", "p")));
    }

    [Fact]
    public void ResourceNames_LimitTheRuleToThoseNames()
    {
        RbacSnapshot rbac = RbacSnapshot.Build(
        [
            Stored("clusterroles", null, "one", Role(Rule("get,update", "", "configmaps", names: "settings"))),
            Stored("clusterrolebindings", null, "alice", Binding("ClusterRole", "one", "User", "alice")),
        ]);

        Assert.True(Allowed(rbac, Alice, RequestAttributes.ForResource("get", "", "configmaps", "", "ns", "settings")));
        Assert.False(Allowed(rbac, Alice, RequestAttributes.ForResource("get", "", "configmaps", "", "ns", "other")));
        Assert.False(Allowed(rbac, Alice, RequestAttributes.ForResource("get", "", "configmaps", "", "ns", "")));
    }

    [Fact]
    public void NonResourceUrls_MatchExactlyOrByATrailingStar()
    {
        RbacSnapshot rbac = RbacSnapshot.Build(
        [
            Stored("clusterroles", null, "paths", Role(Rule("get", "", "", urls: "/healthz,/apis/*"))),
            Stored("clusterrolebindings", null, "alice", Binding("ClusterRole", "paths", "User", "alice")),
        ]);

        Assert.True(Allowed(rbac, Alice, RequestAttributes.ForPath("get", "/healthz")));
        Assert.True(Allowed(rbac, Alice, RequestAttributes.ForPath("get", "/apis/apps/v1")));
        Assert.False(Allowed(rbac, Alice, RequestAttributes.ForPath("get", "/healthz/etcd")));
        Assert.False(Allowed(rbac, Alice, RequestAttributes.ForPath("post", "/healthz")));
        Assert.False(Allowed(rbac, Alice, RequestAttributes.ForPath("get", "/api")));
    }

    [Fact]
    public void ServiceAccountSubject_WithoutNamespace_IsInTheBindingsNamespace()
    {
        RbacSnapshot rbac = RbacSnapshot.Build(
        [
            Stored("clusterroles", null, "edit", Role(Rule("*", "*", "*"))),
            Stored("rolebindings", "ci", "builder", Binding("ClusterRole", "edit", "ServiceAccount", "builder")),
            Stored("rolebindings", "prod", "builder", Binding("ClusterRole", "edit", "ServiceAccount", "builder")),
        ]);

        Assert.True(Allowed(rbac, Builder, RequestAttributes.ForResource("create", "", "pods", namespaceName: "ci")));
        // In prod the subject means system:serviceaccount:prod:builder, another account.
        Assert.False(Allowed(rbac, Builder, RequestAttributes.ForResource("create", "", "pods", namespaceName: "prod")));
    }

    [Fact]
    public void BindingToAMissingRole_OrAClusterRoleBindingToARole_GrantsNothing()
    {
        RbacSnapshot rbac = RbacSnapshot.Build(
        [
            Stored("roles", "team", "reader", Role(Rule("*", "*", "*"))),
            Stored("clusterrolebindings", null, "odd", Binding("Role", "reader", "User", "alice")),
            Stored("rolebindings", "team", "dangling", Binding("ClusterRole", "missing", "User", "alice")),
        ]);

        Assert.False(Allowed(rbac, Alice, RequestAttributes.ForResource("get", "", "pods", namespaceName: "team", name: "p")));
    }

    [Fact]
    public void DeniedMessage_IsKubeApiserversWording()
    {
        Assert.Equal("User \"alice\" cannot list resource \"configmaps\" in API group \"\" in the namespace \"team\"",
            RbacAuthorizer.DeniedMessage(Alice, RequestAttributes.ForResource("list", "", "configmaps", namespaceName: "team")));
        Assert.Equal("User \"alice\" cannot create resource \"serviceaccounts/token\" in API group \"\" at the cluster scope",
            RbacAuthorizer.DeniedMessage(Alice, RequestAttributes.ForResource("create", "", "serviceaccounts", "token")));
        Assert.Equal("User \"alice\" cannot get path \"/apis\"", RbacAuthorizer.DeniedMessage(Alice, RequestAttributes.ForPath("get", "/apis")));
    }
}
