using System.Net;
using System.Text.Json.Nodes;

namespace Appliance.Api.Tests;

/// <summary>The management.appliance.io kinds: their fields' rules and how kubectl prints them.</summary>
public sealed class ManagementKindsTests(ApiServerFixture server) : IClassFixture<ApiServerFixture>
{
    private const string Base = "/apis/management.appliance.io/v1/";

    private async Task<(HttpStatusCode Status, JsonObject Body)> CreateAsync(string resource, JsonObject obj)
    {
        using HttpResponseMessage response = await server.Client.PostAsync(Base + resource, ApiServerFixture.Json(obj));
        return (response.StatusCode, await ApiServerFixture.ReadObjectAsync(response));
    }

    private static string[] CauseFields(JsonObject status)
        => [.. status["details"]!["causes"]!.AsArray().Select(static c => (string)c!["field"]!)];

    [Fact]
    public async Task Cluster_DefaultsToAgent_AndADirectClusterNeedsAnHttpsEndpointAndATokenSecret()
    {
        (HttpStatusCode status, JsonObject agent) = await CreateAsync("clusters", new JsonObject { ["metadata"] = new JsonObject { ["name"] = "c-agent" }, ["spec"] = new JsonObject { ["displayName"] = "Edge" } });
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal("agent", (string?)agent["spec"]!["type"]);

        (HttpStatusCode bad, JsonObject invalid) = await CreateAsync("clusters", new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "c-bad" },
            ["spec"] = new JsonObject { ["type"] = "direct", ["direct"] = new JsonObject { ["apiEndpoint"] = "http://10.0.0.1:6443", ["caBundle"] = "not pem" } },
        });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, bad);
        Assert.Equal(["spec.direct.apiEndpoint", "spec.direct.caBundle", "spec.direct.tokenSecretRef"], CauseFields(invalid));

        (HttpStatusCode unknown, JsonObject unknownType) = await CreateAsync("clusters", new JsonObject { ["metadata"] = new JsonObject { ["name"] = "c-x" }, ["spec"] = new JsonObject { ["type"] = "imported" } });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, unknown);
        Assert.Equal(["spec.type"], CauseFields(unknownType));
    }

    [Fact]
    public async Task Bindings_NeedExactlyOneSubject_AndTheirTargets()
    {
        (HttpStatusCode both, JsonObject bothBody) = await CreateAsync("globalrolebindings", new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "grb-both" },
            ["globalRoleName"] = "admin",
            ["userName"] = "u-abcde",
            ["groupPrincipalName"] = "openldap_group://x",
        });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, both);
        Assert.Equal(["userName"], CauseFields(bothBody));

        (HttpStatusCode missing, JsonObject missingBody) = await CreateAsync("clusterroletemplatebindings", new JsonObject { ["metadata"] = new JsonObject { ["name"] = "crtb-empty" }, ["userName"] = "u-abcde" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, missing);
        Assert.Equal(["clusterName", "roleTemplateName"], CauseFields(missingBody));

        (HttpStatusCode ok, _) = await CreateAsync("clusterroletemplatebindings", new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "crtb-ok" },
            ["clusterName"] = "c-agent",
            ["roleTemplateName"] = "cluster-member",
            ["groupPrincipalName"] = "openldap_group://0b6e2a4c-1111-2222-3333-444455556666",
        });
        Assert.Equal(HttpStatusCode.Created, ok);
    }

    [Fact]
    public async Task RoleTemplateAndGlobalRole_ValidateTheirRulesAsClusterRoles()
    {
        (HttpStatusCode status, JsonObject body) = await CreateAsync("roletemplates", new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "rt-bad" },
            ["context"] = "namespace",
            ["rules"] = new JsonArray(new JsonObject { ["apiGroups"] = new JsonArray(""), ["resources"] = new JsonArray("pods") }),
        });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Equal(["context", "rules[0].verbs"], CauseFields(body));

        (HttpStatusCode created, JsonObject role) = await CreateAsync("globalroles", new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "auditor" },
            ["rules"] = new JsonArray(new JsonObject { ["verbs"] = new JsonArray("get", "list"), ["apiGroups"] = new JsonArray("*"), ["resources"] = new JsonArray("*") }),
        });
        Assert.Equal(HttpStatusCode.Created, created);
        Assert.False((bool)role["newUserDefault"]!);
    }

    [Fact]
    public async Task AuthConfig_AccessModeAndPrincipalsAreChecked()
    {
        (HttpStatusCode status, JsonObject body) = await CreateAsync("authconfigs", new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "openldap" },
            ["accessMode"] = "everyone",
            ["allowedPrincipalIds"] = new JsonArray("bob"),
        });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Equal(["accessMode", "allowedPrincipalIds[0]"], CauseFields(body));

        (HttpStatusCode created, JsonObject config) = await CreateAsync("authconfigs", new JsonObject { ["metadata"] = new JsonObject { ["name"] = "github" } });
        Assert.Equal(HttpStatusCode.Created, created);
        Assert.False((bool)config["enabled"]!);
        Assert.Equal("unrestricted", (string?)config["accessMode"]);
    }

    [Fact]
    public async Task KubectlGetClusters_PrintsDisplayNameAndType()
    {
        await CreateAsync("clusters", new JsonObject { ["metadata"] = new JsonObject { ["name"] = "c-print" }, ["spec"] = new JsonObject { ["displayName"] = "Printed" } });
        KubectlResult result = await server.RunKubectlAsync("get clusters.management.appliance.io c-print");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Matches(@"NAME\s+DISPLAY NAME\s+TYPE\s+VERSION\s+AGE", result.Stdout);
        Assert.Matches(@"c-print\s+Printed\s+agent", result.Stdout);
    }
}
