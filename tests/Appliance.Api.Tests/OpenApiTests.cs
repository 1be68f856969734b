using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Appliance.Api.Tests;

/// <summary>The OpenAPI v3 documents: kube-apiserver's shapes, names and caching, generated from the registry.</summary>
public sealed class OpenApiTests(ApiServerFixture server) : IClassFixture<ApiServerFixture>
{
    private const string Components = "#/components/schemas/";

    [Fact]
    public async Task Discovery_ListsEveryServedGroupVersion_WithTheHashOfItsDocument()
    {
        JsonObject paths = (JsonObject)(await GetJsonAsync("/openapi/v3"))["paths"]!;
        var expected = ResourceRegistry.CreateDefault().All
            .Select(d => d.Group.Length == 0 ? "api/" + d.Version : $"apis/{d.Group}/{d.Version}")
            .ToHashSet();
        Assert.Equal(expected.Order(), paths.Select(p => p.Key).Order());

        foreach ((string path, JsonNode? entry) in paths)
        {
            string url = (string)entry!["serverRelativeURL"]!;
            Assert.StartsWith($"/openapi/v3/{path}?hash=", url);
            using HttpResponseMessage response = await server.Client.GetAsync(url);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            string hash = Convert.ToHexString(SHA512.HashData(await response.Content.ReadAsByteArrayAsync()));
            Assert.Equal(url[(url.IndexOf("hash=", StringComparison.Ordinal) + 5)..], hash);
        }
    }

    [Fact]
    public async Task EveryServedKind_HasAPatchOperationWithFieldValidation_AsKubectlLooksForIt()
    {
        foreach (ResourceDefinition definition in ResourceRegistry.CreateDefault().All.Where(d => d.Verbs.Contains("patch")))
        {
            JsonObject document = await GetDocumentAsync(definition.Group, definition.Version);
            string collection = (definition.Group.Length == 0 ? "/api/v1" : $"/apis/{definition.Group}/{definition.Version}")
                + (definition.Namespaced ? "/namespaces/{namespace}/" : "/") + definition.Resource;
            JsonObject patch = (JsonObject)document["paths"]![collection + "/{name}"]!["patch"]!;
            JsonNode gvk = patch["x-kubernetes-group-version-kind"]!;
            Assert.Equal((definition.Group, definition.Version, definition.Kind), ((string?)gvk["group"], (string?)gvk["version"], (string?)gvk["kind"]));
            Assert.Contains(patch["parameters"]!.AsArray(), p => (string?)p!["name"] == "fieldValidation" && (string?)p["in"] == "query");
            Assert.Contains(definition.Kind, (string?)patch["operationId"]);
        }
    }

    [Fact]
    public async Task CoreDocument_HasConfigMapRoutesWithKubesOperationsAndParameters()
    {
        JsonObject paths = (JsonObject)(await GetDocumentAsync("", "v1"))["paths"]!;
        JsonObject collection = (JsonObject)paths["/api/v1/namespaces/{namespace}/configmaps"]!;
        Assert.Equal(["get", "post", "delete", "parameters"], collection.Select(p => p.Key));
        Assert.Equal("listCoreV1NamespacedConfigMap", (string?)collection["get"]!["operationId"]);
        Assert.Equal("list", (string?)collection["get"]!["x-kubernetes-action"]);
        Assert.Contains(collection["get"]!["parameters"]!.AsArray(), p => (string?)p!["name"] == "watch");
        Assert.Equal("#/components/schemas/io.k8s.api.core.v1.ConfigMapList", (string?)collection["get"]!["responses"]!["200"]!["content"]!["application/json"]!["schema"]!["$ref"]);
        Assert.Contains(collection["post"]!["parameters"]!.AsArray(), p => (string?)p!["name"] == "fieldValidation");
        Assert.Equal("namespace", (string?)collection["parameters"]![0]!["name"]);

        JsonObject item = (JsonObject)paths["/api/v1/namespaces/{namespace}/configmaps/{name}"]!;
        Assert.Equal(["get", "put", "patch", "delete", "parameters"], item.Select(p => p.Key));
        Assert.Contains(item["put"]!["parameters"]!.AsArray(), p => (string?)p!["name"] == "fieldValidation");
        JsonObject patchTypes = (JsonObject)item["patch"]!["requestBody"]!["content"]!;
        Assert.Contains("application/strategic-merge-patch+json", patchTypes.Select(p => p.Key));
        Assert.Contains("application/merge-patch+json", patchTypes.Select(p => p.Key));
        Assert.Equal("listCoreV1ConfigMapForAllNamespaces", (string?)paths["/api/v1/configmaps"]!["get"]!["operationId"]);

        JsonObject status = (JsonObject)paths["/api/v1/namespaces/{namespace}/pods/{name}/status"]!;
        Assert.Equal(["get", "put", "patch", "parameters"], status.Select(p => p.Key));
        Assert.Equal("patchCoreV1NamespacedPodStatus", (string?)status["patch"]!["operationId"]);
        Assert.Contains(status["patch"]!["parameters"]!.AsArray(), p => (string?)p!["name"] == "fieldValidation");
        Assert.Null(paths["/api/v1/namespaces/{namespace}/configmaps/{name}/status"]);

        // Cluster-scoped: no namespace segment or parameter.
        Assert.Equal("readCoreV1Namespace", (string?)paths["/api/v1/namespaces/{name}"]!["get"]!["operationId"]);
        Assert.Null(paths["/api/v1/namespaces/{namespace}/namespaces"]);
    }

    [Fact]
    public async Task CoreDocument_HasKubeNamedSchemas_WithTheKindsGroupVersionKind()
    {
        JsonObject schemas = (JsonObject)(await GetDocumentAsync("", "v1"))["components"]!["schemas"]!;
        JsonObject configMap = (JsonObject)schemas["io.k8s.api.core.v1.ConfigMap"]!;
        JsonNode gvk = configMap["x-kubernetes-group-version-kind"]![0]!;
        Assert.Equal(("", "v1", "ConfigMap"), ((string?)gvk["group"], (string?)gvk["version"], (string?)gvk["kind"]));
        Assert.Equal("object", (string?)configMap["type"]);
        Assert.Equal("string", (string?)configMap["properties"]!["data"]!["additionalProperties"]!["type"]);
        Assert.Equal("#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", (string?)configMap["properties"]!["metadata"]!["allOf"]![0]!["$ref"]);
        Assert.Equal("ConfigMapList", (string?)schemas["io.k8s.api.core.v1.ConfigMapList"]!["x-kubernetes-group-version-kind"]![0]!["kind"]);

        JsonObject meta = (JsonObject)schemas["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]!["properties"]!;
        Assert.Equal("uid", (string?)meta["ownerReferences"]!["x-kubernetes-patch-merge-key"]);
        Assert.Equal("merge", (string?)meta["ownerReferences"]!["x-kubernetes-patch-strategy"]);
        Assert.Equal("date-time", (string?)meta["creationTimestamp"]!["format"]);

        // Partly modelled kinds keep what they do not describe.
        JsonObject podSpec = (JsonObject)schemas["io.k8s.api.core.v1.PodSpec"]!;
        Assert.True((bool?)podSpec["x-kubernetes-preserve-unknown-fields"]);
        Assert.Equal("name", (string?)podSpec["properties"]!["containers"]!["x-kubernetes-patch-merge-key"]);
    }

    [Fact]
    public async Task RbacDocument_DescribesRulesSubjectsAndRoleRef()
    {
        JsonObject schemas = (JsonObject)(await GetDocumentAsync("rbac.authorization.k8s.io", "v1"))["components"]!["schemas"]!;
        JsonNode rules = schemas["io.k8s.api.rbac.v1.Role"]!["properties"]!["rules"]!;
        Assert.Equal("array", (string?)rules["type"]);
        Assert.Equal("atomic", (string?)rules["x-kubernetes-list-type"]);
        Assert.Equal(Components + "io.k8s.api.rbac.v1.PolicyRule", (string?)rules["items"]!["allOf"]![0]!["$ref"]);
        JsonObject policyRule = (JsonObject)schemas["io.k8s.api.rbac.v1.PolicyRule"]!;
        Assert.Equal(["apiGroups", "nonResourceURLs", "resourceNames", "resources", "verbs"], policyRule["properties"]!.AsObject().Select(p => p.Key));
        Assert.Equal(["verbs"], policyRule["required"]!.AsArray().Select(v => (string?)v));
        Assert.Equal(["apiGroup", "kind", "name"], schemas["io.k8s.api.rbac.v1.RoleRef"]!["required"]!.AsArray().Select(v => (string?)v));
        Assert.Equal(["roleRef"], schemas["io.k8s.api.rbac.v1.ClusterRoleBinding"]!["required"]!.AsArray().Select(v => (string?)v));
        Assert.NotNull(schemas["io.k8s.api.rbac.v1.Subject"]!["properties"]!["namespace"]);
        Assert.NotNull(schemas["io.k8s.api.rbac.v1.ClusterRole"]!["properties"]!["aggregationRule"]);
    }

    [Fact]
    public async Task SettingDocument_HasItsTopLevelFields_AndIsMergePatchedLikeACustomResource()
    {
        JsonObject document = await GetDocumentAsync("management.appliance.io", "v1");
        JsonObject setting = (JsonObject)document["components"]!["schemas"]!["io.appliance.management.v1.Setting"]!;
        Assert.Equal("string", (string?)setting["properties"]!["value"]!["type"]);
        Assert.Equal("string", (string?)setting["properties"]!["default"]!["type"]);
        Assert.Equal("string", (string?)setting["properties"]!["source"]!["type"]);
        JsonObject patchTypes = (JsonObject)document["paths"]!["/apis/management.appliance.io/v1/settings/{name}"]!["patch"]!["requestBody"]!["content"]!;
        Assert.DoesNotContain("application/strategic-merge-patch+json", patchTypes.Select(p => p.Key));
    }

    [Fact]
    public async Task EveryRef_NamesAComponentOfTheSameDocument()
    {
        foreach (JsonNode? entry in ((JsonObject)(await GetJsonAsync("/openapi/v3"))["paths"]!).Select(p => p.Value))
        {
            JsonObject document = await GetJsonAsync((string)entry!["serverRelativeURL"]!);
            JsonObject schemas = (JsonObject)document["components"]!["schemas"]!;
            var refs = new List<string>();
            CollectRefs(document, refs);
            Assert.NotEmpty(refs);
            Assert.All(refs, r => Assert.True(r.StartsWith(Components, StringComparison.Ordinal) && schemas.ContainsKey(r[Components.Length..]), r));
        }
    }

    [Fact]
    public async Task HashOfTheCurrentDocument_IsCachedForGood_WithAnETag()
    {
        string url = await CoreUrlAsync();
        using HttpResponseMessage response = await server.Client.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        Assert.True(response.Headers.CacheControl!.Public);
        Assert.Contains("immutable", response.Headers.CacheControl.Extensions.Select(e => e.Name));
        Assert.Equal("\"" + url[(url.IndexOf("hash=", StringComparison.Ordinal) + 5)..] + "\"", response.Headers.ETag!.Tag);
        Assert.True(response.Content.Headers.Expires > DateTimeOffset.UtcNow.AddDays(300));

        using HttpResponseMessage unhashed = await server.Client.GetAsync("/openapi/v3/api/v1");
        Assert.Equal(HttpStatusCode.OK, unhashed.StatusCode);
        Assert.Equal(response.Headers.ETag, unhashed.Headers.ETag);
        Assert.False(unhashed.Headers.CacheControl?.Extensions.Any(e => e.Name == "immutable") ?? false);
    }

    [Fact]
    public async Task IfNoneMatchWithTheETag_IsNotModified()
    {
        using HttpResponseMessage first = await server.Client.GetAsync("/openapi/v3/api/v1");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/openapi/v3/api/v1");
        request.Headers.IfNoneMatch.Add(first.Headers.ETag!);
        using HttpResponseMessage again = await server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.NotModified, again.StatusCode);
        Assert.Empty(await again.Content.ReadAsByteArrayAsync());

        using var other = new HttpRequestMessage(HttpMethod.Get, "/openapi/v3/api/v1");
        other.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"stale\""));
        using HttpResponseMessage changed = await server.Client.SendAsync(other);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
    }

    [Fact]
    public async Task StaleHash_IsRedirectedToTheCurrentOne()
    {
        string current = await CoreUrlAsync();
        using var handler = new HttpClientHandler
        {
            AllowAutoRedirect = false,
            ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator,
        };
        using var client = new HttpClient(handler) { BaseAddress = server.Client.BaseAddress };
        client.DefaultRequestHeaders.Authorization = server.Client.DefaultRequestHeaders.Authorization;
        using HttpResponseMessage response = await client.GetAsync("/openapi/v3/api/v1?hash=0BAD");
        Assert.Equal(HttpStatusCode.MovedPermanently, response.StatusCode);
        Assert.Equal(current, response.Headers.Location!.OriginalString);
    }

    [Theory]
    [InlineData("/openapi/v3/api/v2")]
    [InlineData("/openapi/v3/apis/nothing.example.com/v1")]
    [InlineData("/openapi/v3/apis/rbac.authorization.k8s.io/v1beta1")]
    public async Task UnservedGroupVersion_IsNotFound(string path)
    {
        using HttpResponseMessage response = await server.Client.GetAsync(path);
        await CrudTests.AssertStatusAsync(response, HttpStatusCode.NotFound, "NotFound", "could not find the requested resource");
    }

    [Fact]
    public async Task ProtobufOnly_IsNotAcceptable_JsonOrAnythingIsServed()
    {
        using var protobuf = new HttpRequestMessage(HttpMethod.Get, "/openapi/v3/api/v1");
        Assert.True(protobuf.Headers.TryAddWithoutValidation("Accept", "application/com.github.proto-openapi.spec.v3@v1.0+protobuf"));
        using HttpResponseMessage refused = await server.Client.SendAsync(protobuf);
        Assert.Equal(HttpStatusCode.NotAcceptable, refused.StatusCode);

        using var either = new HttpRequestMessage(HttpMethod.Get, "/openapi/v3/api/v1");
        Assert.True(either.Headers.TryAddWithoutValidation("Accept", "application/com.github.proto-openapi.spec.v3@v1.0+protobuf, */*;q=0.1"));
        using HttpResponseMessage served = await server.Client.SendAsync(either);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
    }

    private async Task<string> CoreUrlAsync() => (string)(await GetJsonAsync("/openapi/v3"))["paths"]!["api/v1"]!["serverRelativeURL"]!;

    private Task<JsonObject> GetDocumentAsync(string group, string version)
        => GetJsonAsync(group.Length == 0 ? "/openapi/v3/api/" + version : $"/openapi/v3/apis/{group}/{version}");

    private async Task<JsonObject> GetJsonAsync(string url)
    {
        using HttpResponseMessage response = await server.Client.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await ApiServerFixture.ReadObjectAsync(response);
    }

    private static void CollectRefs(JsonNode? node, List<string> refs)
    {
        if (node is JsonObject obj)
        {
            foreach ((string key, JsonNode? value) in obj)
            {
                if (key == "$ref")
                {
                    refs.Add((string)value!);
                }
                else
                {
                    CollectRefs(value, refs);
                }
            }
        }
        else if (node is JsonArray array)
        {
            foreach (JsonNode? item in array)
            {
                CollectRefs(item, refs);
            }
        }
    }
}
