using System.Net;
using System.Text.Json.Nodes;

namespace Appliance.Api.Tests;

public sealed class DiscoveryTests(ApiServerFixture server) : IClassFixture<ApiServerFixture>
{
    [Fact]
    public async Task Api_ListsTheCoreVersion()
    {
        JsonObject body = await GetAsync("/api");
        Assert.Equal("APIVersions", (string?)body["kind"]);
        Assert.Equal("v1", (string?)body["versions"]![0]);
        Assert.Equal("0.0.0.0/0", (string?)body["serverAddressByClientCIDRs"]![0]!["clientCIDR"]);
    }

    [Fact]
    public async Task CoreResourceList_DescribesNamespacedAndClusterScopedKinds()
    {
        JsonObject body = await GetAsync("/api/v1");
        Assert.Equal("APIResourceList", (string?)body["kind"]);
        Assert.Equal("v1", (string?)body["groupVersion"]);
        JsonArray resources = body["resources"]!.AsArray();
        JsonNode configMaps = resources.Single(r => (string?)r!["name"] == "configmaps")!;
        Assert.Equal("ConfigMap", (string?)configMaps["kind"]);
        Assert.Equal("configmap", (string?)configMaps["singularName"]);
        Assert.True((bool)configMaps["namespaced"]!);
        Assert.Equal("cm", (string?)configMaps["shortNames"]![0]);
        Assert.Contains("watch", configMaps["verbs"]!.AsArray().Select(v => (string?)v));
        JsonNode namespaces = resources.Single(r => (string?)r!["name"] == "namespaces")!;
        Assert.False((bool)namespaces["namespaced"]!);
        Assert.Contains(resources, r => (string?)r!["name"] == "secrets");
    }

    [Fact]
    public async Task Apis_ListsTheManagementGroupWithItsPreferredVersion()
    {
        JsonObject body = await GetAsync("/apis");
        Assert.Equal("APIGroupList", (string?)body["kind"]);
        JsonNode group = body["groups"]!.AsArray().Single(g => (string?)g!["name"] == "management.appliance.io")!;
        Assert.Equal("management.appliance.io/v1", (string?)group["preferredVersion"]!["groupVersion"]);
        Assert.Equal("v1", (string?)group["versions"]![0]!["version"]);
    }

    [Fact]
    public async Task GroupResourceList_ServesSettingsAsClusterScoped()
    {
        JsonObject body = await GetAsync("/apis/management.appliance.io/v1");
        Assert.Equal("management.appliance.io/v1", (string?)body["groupVersion"]);
        JsonNode settings = body["resources"]!.AsArray().Single(r => (string?)r!["name"] == "settings")!;
        Assert.Equal("Setting", (string?)settings["kind"]);
        Assert.False((bool)settings["namespaced"]!);
    }

    [Fact]
    public async Task UnknownGroupVersion_IsNotFoundStatus()
    {
        using HttpResponseMessage response = await server.Client.GetAsync("/apis/nothing.example.com/v1");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        JsonObject status = await ApiServerFixture.ReadObjectAsync(response);
        Assert.Equal("Status", (string?)status["kind"]);
        Assert.Equal(404, (int)status["code"]!);
    }

    [Fact]
    public async Task Version_ReportsKubernetes132WithTheApplianceVersion()
    {
        JsonObject body = await GetAsync("/version");
        Assert.Equal("1", (string?)body["major"]);
        Assert.Equal("32", (string?)body["minor"]);
        Assert.StartsWith("v1.32.0-appliance", (string?)body["gitVersion"]);
        Assert.StartsWith("linux/", (string?)body["platform"]);
    }

    private async Task<JsonObject> GetAsync(string path)
    {
        using HttpResponseMessage response = await server.Client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return await ApiServerFixture.ReadObjectAsync(response);
    }
}
