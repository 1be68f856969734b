using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Appliance.Api.Tests;

/// <summary>Authentication, impersonation and RBAC in front of every API route, over HTTP.</summary>
public sealed class SecurityTests(ApiServerFixture server) : IClassFixture<ApiServerFixture>
{
    private static string UniqueUser() => "u-" + Guid.NewGuid().ToString("N")[..8];

    private static async Task<JsonObject> StatusOf(HttpResponseMessage response) => (JsonObject)(await response.Content.ReadFromJsonAsync<JsonNode>())!;

    private async Task BindAsync(string namespaceName, string name, string clusterRole, string user)
    {
        var binding = new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = name },
            ["roleRef"] = new JsonObject { ["apiGroup"] = "rbac.authorization.k8s.io", ["kind"] = "ClusterRole", ["name"] = clusterRole },
            ["subjects"] = new JsonArray(new JsonObject { ["kind"] = "User", ["name"] = user }),
        };
        using HttpResponseMessage response = await server.Client.PostAsync($"/apis/rbac.authorization.k8s.io/v1/namespaces/{namespaceName}/rolebindings", ApiServerFixture.Json(binding));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer not-a-token")]
    [InlineData("Bearer token-zzzzz:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("Basic dXNlcjpwYXNz")]
    public async Task Request_WithoutAValidBearerToken_Is401Unauthorized(string? authorization)
    {
        using HttpClient client = server.CreateClient(null);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/namespaces");
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        using HttpResponseMessage response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        JsonObject status = await StatusOf(response);
        Assert.Equal("Unauthorized", (string?)status["reason"]);
        Assert.Equal(401, (int?)status["code"]);
    }

    [Fact]
    public async Task Discovery_NeedsAuthentication_AndIsOpenToEveryAuthenticatedUser()
    {
        using HttpClient anonymous = server.CreateClient(null);
        using HttpResponseMessage denied = await anonymous.GetAsync("/apis");
        Assert.Equal(HttpStatusCode.Unauthorized, denied.StatusCode);

        using HttpClient user = server.CreateClient(await server.IssueTokenAsync(UniqueUser()));
        using HttpResponseMessage allowed = await user.GetAsync("/apis");
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
    }

    [Fact]
    public async Task UserWithoutRights_Gets403WithKubeApiserversMessage()
    {
        string userId = UniqueUser();
        using HttpClient user = server.CreateClient(await server.IssueTokenAsync(userId));

        using HttpResponseMessage list = await user.GetAsync("/api/v1/namespaces/default/secrets");
        Assert.Equal(HttpStatusCode.Forbidden, list.StatusCode);
        JsonObject status = await StatusOf(list);
        Assert.Equal("Forbidden", (string?)status["reason"]);
        Assert.Equal($"secrets is forbidden: User \"{userId}\" cannot list resource \"secrets\" in API group \"\" in the namespace \"default\"", (string?)status["message"]);

        using HttpResponseMessage get = await user.GetAsync("/apis/rbac.authorization.k8s.io/v1/clusterroles/cluster-admin");
        Assert.Equal($"clusterroles.rbac.authorization.k8s.io \"cluster-admin\" is forbidden: User \"{userId}\" cannot get resource \"clusterroles\" in API group \"rbac.authorization.k8s.io\" at the cluster scope",
            (string?)(await StatusOf(get))["message"]);
    }

    [Fact]
    public async Task RoleBinding_TakesEffectOnTheNextRequest_InItsNamespaceOnly()
    {
        string ns = await server.CreateNamespaceAsync();
        string userId = UniqueUser();
        using HttpClient user = server.CreateClient(await server.IssueTokenAsync(userId));

        await BindAsync(ns, "viewer", "view", userId);

        using HttpResponseMessage inNamespace = await user.GetAsync($"/api/v1/namespaces/{ns}/configmaps");
        Assert.Equal(HttpStatusCode.OK, inNamespace.StatusCode);
        using HttpResponseMessage secrets = await user.GetAsync($"/api/v1/namespaces/{ns}/secrets");
        Assert.Equal(HttpStatusCode.Forbidden, secrets.StatusCode);
        using HttpResponseMessage elsewhere = await user.GetAsync("/api/v1/namespaces/default/configmaps");
        Assert.Equal(HttpStatusCode.Forbidden, elsewhere.StatusCode);

        using HttpResponseMessage deleted = await server.Client.DeleteAsync($"/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/rolebindings/viewer");
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        using HttpResponseMessage revoked = await user.GetAsync($"/api/v1/namespaces/{ns}/configmaps");
        Assert.Equal(HttpStatusCode.Forbidden, revoked.StatusCode);
    }

    [Fact]
    public async Task DeletedToken_OrDisabledUser_IsRefusedAtOnce()
    {
        string userId = UniqueUser();
        string token = await server.IssueTokenAsync(userId);
        using HttpClient user = server.CreateClient(token);
        using (HttpResponseMessage ok = await user.GetAsync("/api"))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        string tokenName = token[..token.IndexOf(':', StringComparison.Ordinal)];
        using (HttpResponseMessage deleted = await server.Client.DeleteAsync($"/apis/management.appliance.io/v1/tokens/{tokenName}"))
        {
            Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        }

        using (HttpResponseMessage refused = await user.GetAsync("/api"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        using HttpClient second = server.CreateClient(await server.IssueTokenAsync(userId));
        using (HttpResponseMessage disable = await server.Client.PatchAsync($"/apis/management.appliance.io/v1/users/{userId}",
            new StringContent("""{"enabled":false}""", System.Text.Encoding.UTF8, "application/merge-patch+json")))
        {
            Assert.Equal(HttpStatusCode.OK, disable.StatusCode);
        }

        using HttpResponseMessage disabled = await second.GetAsync("/api");
        Assert.Equal(HttpStatusCode.Unauthorized, disabled.StatusCode);
    }

    [Fact]
    public async Task ExpiredToken_Is401()
    {
        string userId = UniqueUser();
        string token = await server.IssueTokenAsync(userId);
        string tokenName = token[..token.IndexOf(':', StringComparison.Ordinal)];
        using (HttpResponseMessage expire = await server.Client.PatchAsync($"/apis/management.appliance.io/v1/tokens/{tokenName}",
            new StringContent("""{"expiresAt":"2020-01-01T00:00:00Z"}""", System.Text.Encoding.UTF8, "application/merge-patch+json")))
        {
            Assert.Equal(HttpStatusCode.OK, expire.StatusCode);
        }

        using HttpClient user = server.CreateClient(token);
        using HttpResponseMessage response = await user.GetAsync("/api");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Impersonation_ByTheAdmin_ServesTheRequestAsThatUser()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/namespaces/default/secrets");
        request.Headers.Add("Impersonate-User", "mallory");
        request.Headers.Add("Impersonate-Group", "interns");
        using HttpResponseMessage response = await server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("User \"mallory\" cannot list resource \"secrets\"", (string?)(await StatusOf(response))["message"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Impersonation_WithoutTheImpersonateVerb_Is403_AndGroupsWithoutAUserAre400()
    {
        string userId = UniqueUser();
        using HttpClient user = server.CreateClient(await server.IssueTokenAsync(userId));
        using var impersonate = new HttpRequestMessage(HttpMethod.Get, "/api");
        impersonate.Headers.Add("Impersonate-User", "admin");
        using HttpResponseMessage forbidden = await user.SendAsync(impersonate);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal($"users \"admin\" is forbidden: User \"{userId}\" cannot impersonate resource \"users\" in API group \"\" at the cluster scope",
            (string?)(await StatusOf(forbidden))["message"]);

        using var groupsOnly = new HttpRequestMessage(HttpMethod.Get, "/api");
        groupsOnly.Headers.Add("Impersonate-Group", "system:masters");
        using HttpResponseMessage badRequest = await server.Client.SendAsync(groupsOnly);
        Assert.Equal(HttpStatusCode.BadRequest, badRequest.StatusCode);
    }

    [Fact]
    public async Task Impersonation_OfAServiceAccount_AddsItsGroups_AndNeedsImpersonateOnServiceAccounts()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/apis/authentication.k8s.io/v1/selfsubjectreviews")
        {
            Content = ApiServerFixture.Json(new JsonObject { ["apiVersion"] = "authentication.k8s.io/v1", ["kind"] = "SelfSubjectReview" }),
        };
        request.Headers.Add("Impersonate-User", "system:serviceaccount:ci:builder");
        using HttpResponseMessage response = await server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        JsonNode userInfo = (await StatusOf(response))["status"]!["userInfo"]!;
        Assert.Equal("system:serviceaccount:ci:builder", (string?)userInfo["username"]);
        string[] groups = [.. userInfo["groups"]!.AsArray().Select(static g => (string)g!)];
        Assert.Equal(["system:serviceaccounts", "system:serviceaccounts:ci", "system:authenticated"], groups);
    }

    [Fact]
    public async Task SelfSubjectAccessReview_AnswersForTheCaller()
    {
        string ns = await server.CreateNamespaceAsync();
        string userId = UniqueUser();
        using HttpClient user = server.CreateClient(await server.IssueTokenAsync(userId));
        await BindAsync(ns, "editor", "edit", userId);

        async Task<JsonNode> ReviewAsync(string verb, string resource, string namespaceName)
        {
            var review = new JsonObject
            {
                ["apiVersion"] = "authorization.k8s.io/v1",
                ["kind"] = "SelfSubjectAccessReview",
                ["spec"] = new JsonObject { ["resourceAttributes"] = new JsonObject { ["verb"] = verb, ["resource"] = resource, ["namespace"] = namespaceName } },
            };
            using HttpResponseMessage response = await user.PostAsync("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", ApiServerFixture.Json(review));
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            return (await StatusOf(response))["status"]!;
        }

        JsonNode allowed = await ReviewAsync("create", "secrets", ns);
        Assert.True((bool)allowed["allowed"]!);
        Assert.Equal($"RBAC: allowed by RoleBinding \"editor/{ns}\" of ClusterRole \"edit\" to User \"{userId}\"", (string?)allowed["reason"]);
        Assert.False((bool)(await ReviewAsync("create", "secrets", "default"))["allowed"]!);

        using HttpResponseMessage list = await user.GetAsync("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews");
        Assert.Equal(HttpStatusCode.Forbidden, list.StatusCode);
        using HttpResponseMessage adminList = await server.Client.GetAsync("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, adminList.StatusCode);
    }

    [Fact]
    public async Task InvalidBindings_Are422WithFieldCauses()
    {
        var binding = new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "bad" },
            ["roleRef"] = new JsonObject { ["apiGroup"] = "rbac.authorization.k8s.io", ["kind"] = "Role", ["name"] = "x" },
            ["subjects"] = new JsonArray(new JsonObject { ["kind"] = "Robot", ["name"] = "r2" }),
        };
        using HttpResponseMessage response = await server.Client.PostAsync("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", ApiServerFixture.Json(binding));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        string[] fields = [.. (await StatusOf(response))["details"]!["causes"]!.AsArray().Select(static c => (string)c!["field"]!)];
        Assert.Equal(["roleRef.kind", "subjects[0].kind"], fields);

        var role = new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "no-verbs" },
            ["rules"] = new JsonArray(new JsonObject { ["apiGroups"] = new JsonArray(""), ["resources"] = new JsonArray("pods"), ["nonResourceURLs"] = new JsonArray("/x") }),
        };
        using HttpResponseMessage roleResponse = await server.Client.PostAsync("/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles", ApiServerFixture.Json(role));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, roleResponse.StatusCode);
        string[] roleFields = [.. (await StatusOf(roleResponse))["details"]!["causes"]!.AsArray().Select(static c => (string)c!["field"]!)];
        Assert.Equal(["rules[0].verbs", "rules[0].nonResourceURLs"], roleFields);
    }

    [Fact]
    public async Task GlobalRoleBinding_GrantsTheGlobalRolesRulesEverywhere_AtOnce()
    {
        string userId = UniqueUser();
        using HttpClient user = server.CreateClient(await server.IssueTokenAsync(userId));
        using (HttpResponseMessage before = await user.GetAsync("/api/v1/namespaces"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, before.StatusCode);
        }

        string role = "ns-reader-" + userId;
        var globalRole = new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = role },
            ["rules"] = new JsonArray(new JsonObject { ["verbs"] = new JsonArray("get", "list"), ["apiGroups"] = new JsonArray(""), ["resources"] = new JsonArray("namespaces") }),
        };
        using (HttpResponseMessage created = await server.Client.PostAsync("/apis/management.appliance.io/v1/globalroles", ApiServerFixture.Json(globalRole)))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        var binding = new JsonObject { ["metadata"] = new JsonObject { ["name"] = "grb-" + userId }, ["globalRoleName"] = role, ["userName"] = userId };
        using (HttpResponseMessage bound = await server.Client.PostAsync("/apis/management.appliance.io/v1/globalrolebindings", ApiServerFixture.Json(binding)))
        {
            Assert.Equal(HttpStatusCode.Created, bound.StatusCode);
        }

        using HttpResponseMessage after = await user.GetAsync("/api/v1/namespaces");
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        using HttpResponseMessage secrets = await user.GetAsync("/api/v1/namespaces/default/secrets");
        Assert.Equal(HttpStatusCode.Forbidden, secrets.StatusCode);

        var review = new JsonObject
        {
            ["apiVersion"] = "authorization.k8s.io/v1",
            ["kind"] = "SelfSubjectAccessReview",
            ["spec"] = new JsonObject { ["resourceAttributes"] = new JsonObject { ["verb"] = "list", ["resource"] = "namespaces" } },
        };
        using HttpResponseMessage answer = await user.PostAsync("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", ApiServerFixture.Json(review));
        Assert.Equal($"RBAC: allowed by GlobalRoleBinding \"grb-{userId}\" of GlobalRole \"{role}\" to User \"{userId}\"", (string?)(await StatusOf(answer))["status"]!["reason"]);
    }

    [Fact]
    public async Task GroupPrincipalsOfTheUser_AreItsRbacGroups_AndDroppingOneRevokesAtOnce()
    {
        string ns = await server.CreateNamespaceAsync();
        string userId = UniqueUser();
        string token = await server.IssueTokenAsync(userId);
        const string Group = "openldap_group://5e1f4a2c-0000-4000-8000-00000000d0d0";
        using (HttpResponseMessage joined = await server.Client.PatchAsync($"/apis/management.appliance.io/v1/users/{userId}",
            new StringContent($$"""{"groupPrincipalIds":["{{Group}}"]}""", System.Text.Encoding.UTF8, "application/merge-patch+json")))
        {
            Assert.Equal(HttpStatusCode.OK, joined.StatusCode);
        }

        var binding = new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "ldap-devs" },
            ["roleRef"] = new JsonObject { ["apiGroup"] = "rbac.authorization.k8s.io", ["kind"] = "ClusterRole", ["name"] = "view" },
            ["subjects"] = new JsonArray(new JsonObject { ["kind"] = "Group", ["name"] = Group }),
        };
        using (HttpResponseMessage bound = await server.Client.PostAsync($"/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/rolebindings", ApiServerFixture.Json(binding)))
        {
            Assert.Equal(HttpStatusCode.Created, bound.StatusCode);
        }

        using HttpClient user = server.CreateClient(token);
        Assert.Equal(HttpStatusCode.OK, (await user.GetAsync($"/api/v1/namespaces/{ns}/configmaps")).StatusCode);

        using (HttpResponseMessage left = await server.Client.PatchAsync($"/apis/management.appliance.io/v1/users/{userId}",
            new StringContent("""{"groupPrincipalIds":[]}""", System.Text.Encoding.UTF8, "application/merge-patch+json")))
        {
            Assert.Equal(HttpStatusCode.OK, left.StatusCode);
        }

        Assert.Equal(HttpStatusCode.Forbidden, (await user.GetAsync($"/api/v1/namespaces/{ns}/configmaps")).StatusCode);

        using HttpResponseMessage notAGroup = await server.Client.PatchAsync($"/apis/management.appliance.io/v1/users/{userId}",
            new StringContent("""{"groupPrincipalIds":["local://u-abcde"]}""", System.Text.Encoding.UTF8, "application/merge-patch+json"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, notAGroup.StatusCode);
    }
}
