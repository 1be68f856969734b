using System.Net;
using System.Text.Json.Nodes;

namespace Appliance.Api.Tests;

/// <summary>A directory user's session token in real kubectl, with RBAC granted to one of its directory groups.</summary>
[Collection(DirectoryApiCollection.Name)]
public sealed class DirectoryKubectlTests(DirectoryApiFixture fixture)
{
    [Fact]
    public async Task DirectoryUsersToken_WorksWithKubectl_AndAClusterRoleBindingToItsGroupPrincipalGrantsAccess()
    {
        await fixture.ConfigureOpenLdapAsync();
        ApiServerFixture api = fixture.Api;
        string ns = await api.CreateNamespaceAsync();
        using (HttpResponseMessage created = await api.Client.PostAsync($"/api/v1/namespaces/{ns}/configmaps",
            ApiServerFixture.Json(new JsonObject { ["metadata"] = new JsonObject { ["name"] = "team-settings" }, ["data"] = new JsonObject { ["a"] = "b" } })))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        (_, JsonObject bob) = await fixture.LoginAsync("openldap", "bob", SlapdFixture.Passwords["bob"]);
        (_, JsonObject carol) = await fixture.LoginAsync("openldap", "carol", SlapdFixture.Passwords["carol"]);
        string bobToken = (string)bob["token"]!;
        string carolToken = (string)carol["token"]!;
        string developers = fixture.GroupPrincipal("developers");

        KubectlResult before = await api.RunKubectlAsync($"--token={bobToken} get configmaps -n {ns}");
        Assert.NotEqual(0, before.ExitCode);
        Assert.Contains("forbidden", before.Stderr, StringComparison.OrdinalIgnoreCase);

        string binding = "developers-view-" + Guid.NewGuid().ToString("N")[..6];
        await fixture.PutAsync("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/" + binding, new JsonObject
        {
            ["apiVersion"] = "rbac.authorization.k8s.io/v1",
            ["kind"] = "ClusterRoleBinding",
            ["metadata"] = new JsonObject { ["name"] = binding },
            ["roleRef"] = new JsonObject { ["apiGroup"] = "rbac.authorization.k8s.io", ["kind"] = "ClusterRole", ["name"] = "view" },
            ["subjects"] = new JsonArray(new JsonObject { ["apiGroup"] = "rbac.authorization.k8s.io", ["kind"] = "Group", ["name"] = developers }),
        });
        try
        {
            KubectlResult granted = await api.RunKubectlAsync($"--token={bobToken} get configmaps -n {ns} -o name");
            Assert.True(granted.ExitCode == 0, granted.Stderr);
            Assert.Contains("configmap/team-settings", granted.Stdout, StringComparison.Ordinal);

            KubectlResult whoami = await api.RunKubectlAsync($"--token={bobToken} auth whoami -o json");
            Assert.True(whoami.ExitCode == 0, whoami.Stderr);
            JsonNode userInfo = JsonNode.Parse(whoami.Stdout)!["status"]!["userInfo"]!;
            Assert.Equal((string)bob["userId"]!, (string?)userInfo["username"]);
            Assert.Contains(developers, DirectoryApiFixture.Strings(userInfo["groups"]));

            // carol is in other groups: the binding is not hers.
            KubectlResult other = await api.RunKubectlAsync($"--token={carolToken} get configmaps -n {ns}");
            Assert.NotEqual(0, other.ExitCode);
            Assert.Contains("forbidden", other.Stderr, StringComparison.OrdinalIgnoreCase);
        }
        finally
        {
            await api.Client.DeleteAsync("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/" + binding);
        }
    }
}
