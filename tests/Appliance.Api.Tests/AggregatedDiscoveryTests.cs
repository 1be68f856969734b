using System.Net;
using System.Text.Json.Nodes;

namespace Appliance.Api.Tests;

/// <summary>Aggregated discovery (apidiscovery.k8s.io/v2), which kubectl 1.32 asks for first.</summary>
public sealed class AggregatedDiscoveryTests(ApiServerFixture server) : IClassFixture<ApiServerFixture>
{
    private const string KubectlAccept = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";

    private async Task<(HttpResponseMessage Response, JsonObject Body)> GetAsync(string path, string accept)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("Accept", accept);
        HttpResponseMessage response = await server.Client.SendAsync(request);
        return (response, await ApiServerFixture.ReadObjectAsync(response));
    }

    [Fact]
    public async Task Api_WithKubectlsAccept_IsTheCoreGroupWithEveryResource()
    {
        (HttpResponseMessage response, JsonObject list) = await GetAsync("/api", KubectlAccept);
        using (response)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList", response.Content.Headers.ContentType!.ToString().Replace(" ", "", StringComparison.Ordinal));
            Assert.Contains("Accept", response.Headers.Vary);
        }

        Assert.Equal("APIGroupDiscoveryList", (string?)list["kind"]);
        JsonNode core = Assert.Single(list["items"]!.AsArray())!;
        Assert.Equal("", (string?)core["metadata"]!["name"]);
        JsonArray resources = core["versions"]![0]!["resources"]!.AsArray();
        JsonNode pods = resources.Single(static r => (string?)r!["resource"] == "pods")!;
        Assert.Equal("Namespaced", (string?)pods["scope"]);
        Assert.Equal("Pod", (string?)pods["responseKind"]!["kind"]);
        Assert.Equal(["po"], pods["shortNames"]!.AsArray().Select(static s => (string)s!).ToArray());
        Assert.Equal("status", (string?)pods["subresources"]![0]!["subresource"]);
        JsonNode token = resources.Single(static r => (string?)r!["resource"] == "serviceaccounts")!["subresources"]![0]!;
        Assert.Equal("TokenRequest", (string?)token["responseKind"]!["kind"]);
        Assert.Equal("authentication.k8s.io", (string?)token["responseKind"]!["group"]);
    }

    [Fact]
    public async Task Apis_WithKubectlsAccept_ListsEveryNamedGroup_AndPlainJsonStaysLegacy()
    {
        (HttpResponseMessage response, JsonObject list) = await GetAsync("/apis", KubectlAccept);
        response.Dispose();
        string[] groups = [.. list["items"]!.AsArray().Select(static g => (string)g!["metadata"]!["name"]!)];
        Assert.Contains("rbac.authorization.k8s.io", groups);
        Assert.Contains("management.appliance.io", groups);
        Assert.DoesNotContain("", groups);

        (HttpResponseMessage legacy, JsonObject legacyBody) = await GetAsync("/apis", "application/json");
        legacy.Dispose();
        Assert.Equal("APIGroupList", (string?)legacyBody["kind"]);
    }

    [Fact]
    public async Task KubectlApiResources_NeedsOnlyTheTwoAggregatedDocuments()
    {
        KubectlResult result = await server.RunKubectlAsync("api-resources -v=6");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("clusterrolebindings", result.Stdout, StringComparison.Ordinal);
        string[] requests = [.. result.Stderr.Split('\n').Where(static line => line.Contains("round_trippers", StringComparison.Ordinal) && line.Contains(" GET ", StringComparison.Ordinal))];
        Assert.Equal(2, requests.Length);
        Assert.Contains("/api?", requests[0], StringComparison.Ordinal);
        Assert.Contains("/apis?", requests[1], StringComparison.Ordinal);
    }
}
