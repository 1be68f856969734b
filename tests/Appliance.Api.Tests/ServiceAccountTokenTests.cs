using System.Net;
using System.Text.Json.Nodes;

namespace Appliance.Api.Tests;

/// <summary>TokenRequest tokens authenticate as their service account, with its RBAC, until it is gone.</summary>
public sealed class ServiceAccountTokenTests(ApiServerFixture server) : IClassFixture<ApiServerFixture>
{
    private async Task CreateServiceAccountAsync(string ns, string name)
    {
        using HttpResponseMessage created = await server.Client.PostAsync($"/api/v1/namespaces/{ns}/serviceaccounts",
            ApiServerFixture.Json(new JsonObject { ["metadata"] = new JsonObject { ["name"] = name } }));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
    }

    private async Task<JsonObject> RequestTokenAsync(string ns, string name, JsonObject? spec = null, HttpStatusCode expected = HttpStatusCode.Created)
    {
        var request = new JsonObject { ["apiVersion"] = "authentication.k8s.io/v1", ["kind"] = "TokenRequest", ["spec"] = spec ?? new JsonObject() };
        using HttpResponseMessage response = await server.Client.PostAsync($"/api/v1/namespaces/{ns}/serviceaccounts/{name}/token", ApiServerFixture.Json(request));
        Assert.Equal(expected, response.StatusCode);
        return await ApiServerFixture.ReadObjectAsync(response);
    }

    [Fact]
    public async Task TokenRequest_ReturnsATokenThatIsTheServiceAccount()
    {
        string ns = await server.CreateNamespaceAsync();
        await CreateServiceAccountAsync(ns, "robot");
        JsonObject tokenRequest = await RequestTokenAsync(ns, "robot");
        string token = (string)tokenRequest["status"]!["token"]!;
        Assert.Equal(3, token.Split('.').Length);
        Assert.Equal(3600, (long)tokenRequest["spec"]!["expirationSeconds"]!);
        Assert.True(DateTimeOffset.Parse((string)tokenRequest["status"]!["expirationTimestamp"]!, System.Globalization.CultureInfo.InvariantCulture) > DateTimeOffset.UtcNow.AddMinutes(59));

        using HttpClient robot = server.CreateClient(token);
        using HttpResponseMessage review = await robot.PostAsync("/apis/authentication.k8s.io/v1/selfsubjectreviews",
            ApiServerFixture.Json(new JsonObject { ["apiVersion"] = "authentication.k8s.io/v1", ["kind"] = "SelfSubjectReview" }));
        JsonNode userInfo = (await ApiServerFixture.ReadObjectAsync(review))["status"]!["userInfo"]!;
        Assert.Equal($"system:serviceaccount:{ns}:robot", (string?)userInfo["username"]);
        Assert.Equal(["system:serviceaccounts", $"system:serviceaccounts:{ns}", "system:authenticated"], userInfo["groups"]!.AsArray().Select(static g => (string)g!).ToArray());

        using HttpResponseMessage forbidden = await robot.GetAsync($"/api/v1/namespaces/{ns}/configmaps");
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
    }

    [Fact]
    public async Task Token_StopsWorking_WhenTheServiceAccountIsDeletedEvenIfRecreated()
    {
        string ns = await server.CreateNamespaceAsync();
        await CreateServiceAccountAsync(ns, "temp");
        string token = (string)(await RequestTokenAsync(ns, "temp"))["status"]!["token"]!;
        using HttpClient temp = server.CreateClient(token);
        using (HttpResponseMessage ok = await temp.GetAsync("/api"))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        using (await server.Client.DeleteAsync($"/api/v1/namespaces/{ns}/serviceaccounts/temp"))
        {
        }

        await CreateServiceAccountAsync(ns, "temp");
        using HttpResponseMessage refused = await temp.GetAsync("/api");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task Token_ForAnotherAudience_OrTampered_IsRefused()
    {
        string ns = await server.CreateNamespaceAsync();
        await CreateServiceAccountAsync(ns, "aud");
        string other = (string)(await RequestTokenAsync(ns, "aud", new JsonObject { ["audiences"] = new JsonArray("https://vault.example") }))["status"]!["token"]!;
        using HttpClient otherAudience = server.CreateClient(other);
        Assert.Equal(HttpStatusCode.Unauthorized, (await otherAudience.GetAsync("/api")).StatusCode);

        string good = (string)(await RequestTokenAsync(ns, "aud"))["status"]!["token"]!;
        string[] parts = good.Split('.');
        string tampered = parts[0] + "." + parts[1] + "." + (parts[2][0] == 'A' ? "B" : "A") + parts[2][1..];
        using HttpClient tamperedClient = server.CreateClient(tampered);
        Assert.Equal(HttpStatusCode.Unauthorized, (await tamperedClient.GetAsync("/api")).StatusCode);
    }

    [Fact]
    public async Task TokenRequest_ForAMissingAccountIs404_AndABadLifetimeIs422()
    {
        string ns = await server.CreateNamespaceAsync();
        await RequestTokenAsync(ns, "nobody", expected: HttpStatusCode.NotFound);
        await CreateServiceAccountAsync(ns, "short");
        await RequestTokenAsync(ns, "short", new JsonObject { ["expirationSeconds"] = 60 }, HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task KubectlCreateToken_PrintsATokenKubectlCanUseWithTheAccountsRights()
    {
        string ns = await server.CreateNamespaceAsync();
        Assert.Equal(0, (await server.RunKubectlAsync($"-n {ns} create serviceaccount deployer")).ExitCode);
        Assert.Equal(0, (await server.RunKubectlAsync($"-n {ns} create rolebinding deployer-edit --clusterrole=edit --serviceaccount={ns}:deployer")).ExitCode);
        KubectlResult created = await server.RunKubectlAsync($"-n {ns} create token deployer --duration=20m");
        Assert.True(created.ExitCode == 0, created.ToString());

        string token = created.Stdout.Trim();
        KubectlResult asAccount = await server.RunKubectlAsync($"--token {token} -n {ns} create configmap from-robot --from-literal=a=b");
        Assert.True(asAccount.ExitCode == 0, asAccount.ToString());
        KubectlResult elsewhere = await server.RunKubectlAsync($"--token {token} -n default get configmaps");
        Assert.Contains($"User \"system:serviceaccount:{ns}:deployer\" cannot list resource \"configmaps\"", elsewhere.Stderr, StringComparison.Ordinal);
    }
}
