using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Appliance.Api.Tests;

public sealed class CrudTests(ApiServerFixture server) : IClassFixture<ApiServerFixture>
{
    [Fact]
    public async Task DefaultNamespace_ExistsAtStartup()
    {
        using HttpResponseMessage response = await server.Client.GetAsync("/api/v1/namespaces/default");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonObject ns = await ApiServerFixture.ReadObjectAsync(response);
        Assert.Equal("Active", (string?)ns["status"]!["phase"]);
    }

    [Fact]
    public async Task Create_SetsServerFieldsAndGetReturnsTheSameObject()
    {
        string ns = await server.CreateNamespaceAsync();
        JsonObject created = await CreateConfigMapAsync(ns, "settings", new JsonObject { ["a"] = "1" });
        JsonObject metadata = created["metadata"]!.AsObject();
        Assert.Equal("v1", (string?)created["apiVersion"]);
        Assert.Equal("ConfigMap", (string?)created["kind"]);
        Assert.Equal(ns, (string?)metadata["namespace"]);
        Assert.True(Guid.TryParse((string?)metadata["uid"], out _));
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", (string?)metadata["creationTimestamp"]);
        Assert.Equal(1, (long)metadata["generation"]!);
        Assert.True(long.Parse((string)metadata["resourceVersion"]!) > 0);

        using HttpResponseMessage get = await server.Client.GetAsync($"/api/v1/namespaces/{ns}/configmaps/settings");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.True(JsonNode.DeepEquals(created, await ApiServerFixture.ReadObjectAsync(get)));
    }

    [Fact]
    public async Task Create_Twice_IsAlreadyExists409()
    {
        string ns = await server.CreateNamespaceAsync();
        await CreateConfigMapAsync(ns, "twice", []);
        using HttpResponseMessage again = await PostConfigMapAsync(ns, "twice", []);
        await AssertStatusAsync(again, HttpStatusCode.Conflict, "AlreadyExists", "configmaps \"twice\" already exists");
    }

    [Fact]
    public async Task Create_WithGenerateName_GetsAGeneratedName()
    {
        string ns = await server.CreateNamespaceAsync();
        var body = new JsonObject { ["metadata"] = new JsonObject { ["generateName"] = "gen-" } };
        using HttpResponseMessage response = await server.Client.PostAsync($"/api/v1/namespaces/{ns}/configmaps", ApiServerFixture.Json(body));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        string? name = (string?)(await ApiServerFixture.ReadObjectAsync(response))["metadata"]!["name"];
        Assert.Matches("^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$", name);
    }

    [Fact]
    public async Task Create_WithInvalidName_IsInvalid422WithANameCause()
    {
        string ns = await server.CreateNamespaceAsync();
        using HttpResponseMessage response = await PostConfigMapAsync(ns, "Bad_Name", []);
        JsonObject status = await AssertStatusAsync(response, HttpStatusCode.UnprocessableEntity, "Invalid", "ConfigMap \"Bad_Name\" is invalid");
        JsonNode cause = status["details"]!["causes"]![0]!;
        Assert.Equal("metadata.name", (string?)cause["field"]);
        Assert.Equal("FieldValueInvalid", (string?)cause["reason"]);
    }

    [Fact]
    public async Task Create_InAMissingNamespace_IsNamespaceNotFound()
    {
        using HttpResponseMessage response = await PostConfigMapAsync("does-not-exist", "x", []);
        await AssertStatusAsync(response, HttpStatusCode.NotFound, "NotFound", "namespaces \"does-not-exist\" not found");
    }

    [Fact]
    public async Task Create_WithMalformedJson_IsBadRequest()
    {
        string ns = await server.CreateNamespaceAsync();
        using var content = new StringContent("{not json", Encoding.UTF8, "application/json");
        using HttpResponseMessage response = await server.Client.PostAsync($"/api/v1/namespaces/{ns}/configmaps", content);
        await AssertStatusAsync(response, HttpStatusCode.BadRequest, "BadRequest", "not valid JSON");
    }

    [Fact]
    public async Task Create_WithAnotherKindInTheBody_IsBadRequest()
    {
        string ns = await server.CreateNamespaceAsync();
        var body = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Secret", ["metadata"] = new JsonObject { ["name"] = "x" } };
        using HttpResponseMessage response = await server.Client.PostAsync($"/api/v1/namespaces/{ns}/configmaps", ApiServerFixture.Json(body));
        await AssertStatusAsync(response, HttpStatusCode.BadRequest, "BadRequest", "do not match");
    }

    [Fact]
    public async Task Secret_StringDataIsFoldedIntoBase64Data()
    {
        string ns = await server.CreateNamespaceAsync();
        var body = new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "creds" },
            ["data"] = new JsonObject { ["kept"] = Convert.ToBase64String("old"u8) },
            ["stringData"] = new JsonObject { ["password"] = "hunter2" },
        };
        using HttpResponseMessage response = await server.Client.PostAsync($"/api/v1/namespaces/{ns}/secrets", ApiServerFixture.Json(body));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        using HttpResponseMessage get = await server.Client.GetAsync($"/api/v1/namespaces/{ns}/secrets/creds");
        JsonObject secret = await ApiServerFixture.ReadObjectAsync(get);
        Assert.Null(secret["stringData"]);
        Assert.Equal(Convert.ToBase64String("hunter2"u8), (string?)secret["data"]!["password"]);
        Assert.Equal(Convert.ToBase64String("old"u8), (string?)secret["data"]!["kept"]);
        Assert.Equal("Opaque", (string?)secret["type"]);
    }

    [Fact]
    public async Task Setting_IsClusterScopedWithAValue()
    {
        var body = new JsonObject { ["apiVersion"] = "management.appliance.io/v1", ["kind"] = "Setting", ["metadata"] = new JsonObject { ["name"] = "server-url" }, ["value"] = "https://example" };
        using HttpResponseMessage response = await server.Client.PostAsync("/apis/management.appliance.io/v1/settings", ApiServerFixture.Json(body));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        using HttpResponseMessage get = await server.Client.GetAsync("/apis/management.appliance.io/v1/settings/server-url");
        JsonObject setting = await ApiServerFixture.ReadObjectAsync(get);
        Assert.Equal("https://example", (string?)setting["value"]);
        Assert.Null(setting["metadata"]!["namespace"]);

        using HttpResponseMessage namespaced = await server.Client.GetAsync("/apis/management.appliance.io/v1/namespaces/default/settings/server-url");
        Assert.Equal(HttpStatusCode.NotFound, namespaced.StatusCode);
    }

    [Fact]
    public async Task Setting_WithANonStringValue_IsInvalid()
    {
        var body = new JsonObject { ["metadata"] = new JsonObject { ["name"] = "bad-value" }, ["value"] = 5 };
        using HttpResponseMessage response = await server.Client.PostAsync("/apis/management.appliance.io/v1/settings", ApiServerFixture.Json(body));
        JsonObject status = await AssertStatusAsync(response, HttpStatusCode.UnprocessableEntity, "Invalid", "value");
        Assert.Equal("value", (string?)status["details"]!["causes"]![0]!["field"]);
    }

    [Fact]
    public async Task Update_WithCurrentResourceVersion_SucceedsAndBumpsGenerationOnDataChange()
    {
        string ns = await server.CreateNamespaceAsync();
        JsonObject created = await CreateConfigMapAsync(ns, "cas", new JsonObject { ["a"] = "1" });
        created["data"]!["a"] = "2";
        using HttpResponseMessage response = await server.Client.PutAsync($"/api/v1/namespaces/{ns}/configmaps/cas", ApiServerFixture.Json(created));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonObject updated = await ApiServerFixture.ReadObjectAsync(response);
        Assert.Equal("2", (string?)updated["data"]!["a"]);
        Assert.Equal(2, (long)updated["metadata"]!["generation"]!);
        Assert.Equal((string?)created["metadata"]!["uid"], (string?)updated["metadata"]!["uid"]);
        Assert.NotEqual((string?)created["metadata"]!["resourceVersion"], (string?)updated["metadata"]!["resourceVersion"]);
    }

    [Fact]
    public async Task Update_WithStaleResourceVersion_IsConflict409()
    {
        string ns = await server.CreateNamespaceAsync();
        JsonObject created = await CreateConfigMapAsync(ns, "stale", new JsonObject { ["a"] = "1" });
        JsonObject first = created.DeepClone().AsObject();
        first["data"]!["a"] = "2";
        using (HttpResponseMessage ok = await server.Client.PutAsync($"/api/v1/namespaces/{ns}/configmaps/stale", ApiServerFixture.Json(first)))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        created["data"]!["a"] = "3";
        using HttpResponseMessage stale = await server.Client.PutAsync($"/api/v1/namespaces/{ns}/configmaps/stale", ApiServerFixture.Json(created));
        await AssertStatusAsync(stale, HttpStatusCode.Conflict, "Conflict", "the object has been modified");
    }

    [Fact]
    public async Task Update_OfAMissingObject_IsNotFound()
    {
        string ns = await server.CreateNamespaceAsync();
        var body = new JsonObject { ["metadata"] = new JsonObject { ["name"] = "ghost" } };
        using HttpResponseMessage response = await server.Client.PutAsync($"/api/v1/namespaces/{ns}/configmaps/ghost", ApiServerFixture.Json(body));
        await AssertStatusAsync(response, HttpStatusCode.NotFound, "NotFound", "configmaps \"ghost\" not found");
    }

    [Fact]
    public async Task Delete_RemovesTheObjectAndASecondDeleteIsNotFound()
    {
        string ns = await server.CreateNamespaceAsync();
        JsonObject created = await CreateConfigMapAsync(ns, "gone", []);
        using (HttpResponseMessage delete = await server.Client.DeleteAsync($"/api/v1/namespaces/{ns}/configmaps/gone"))
        {
            Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
            JsonObject status = await ApiServerFixture.ReadObjectAsync(delete);
            Assert.Equal("Success", (string?)status["status"]);
            Assert.Equal((string?)created["metadata"]!["uid"], (string?)status["details"]!["uid"]);
        }

        using HttpResponseMessage get = await server.Client.GetAsync($"/api/v1/namespaces/{ns}/configmaps/gone");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        using HttpResponseMessage again = await server.Client.DeleteAsync($"/api/v1/namespaces/{ns}/configmaps/gone");
        await AssertStatusAsync(again, HttpStatusCode.NotFound, "NotFound", "configmaps \"gone\" not found");
    }

    [Fact]
    public async Task DeleteNamespace_RemovesItsObjects()
    {
        string ns = await server.CreateNamespaceAsync();
        await CreateConfigMapAsync(ns, "inside", []);
        using (HttpResponseMessage delete = await server.Client.DeleteAsync($"/api/v1/namespaces/{ns}"))
        {
            Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
        }

        using HttpResponseMessage get = await server.Client.GetAsync($"/api/v1/namespaces/{ns}/configmaps/inside");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
    }

    [Fact]
    public async Task MergePatch_MergesMapsAndNullDeletes()
    {
        string ns = await server.CreateNamespaceAsync();
        JsonObject created = await CreateConfigMapAsync(ns, "patched", new JsonObject { ["keep"] = "1", ["drop"] = "2" });
        var patch = new JsonObject { ["data"] = new JsonObject { ["drop"] = null, ["add"] = "3" }, ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["team"] = "a" } } };
        using HttpResponseMessage response = await PatchAsync($"/api/v1/namespaces/{ns}/configmaps/patched", "application/merge-patch+json", patch);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonObject patched = await ApiServerFixture.ReadObjectAsync(response);
        Assert.True(JsonNode.DeepEquals(new JsonObject { ["keep"] = "1", ["add"] = "3" }, patched["data"]));
        Assert.Equal("a", (string?)patched["metadata"]!["labels"]!["team"]);
        Assert.Equal((string?)created["metadata"]!["uid"], (string?)patched["metadata"]!["uid"]);
        Assert.Equal(2, (long)patched["metadata"]!["generation"]!);
    }

    [Fact]
    public async Task StrategicMergePatch_OfLabelsOnly_KeepsTheGeneration()
    {
        string ns = await server.CreateNamespaceAsync();
        await CreateConfigMapAsync(ns, "labelled", []);
        var patch = new JsonObject { ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["x"] = "y" } } };
        using HttpResponseMessage response = await PatchAsync($"/api/v1/namespaces/{ns}/configmaps/labelled", "application/strategic-merge-patch+json", patch);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonObject patched = await ApiServerFixture.ReadObjectAsync(response);
        Assert.Equal("y", (string?)patched["metadata"]!["labels"]!["x"]);
        Assert.Equal(1, (long)patched["metadata"]!["generation"]!);
    }

    [Fact]
    public async Task Patch_WithAStaleResourceVersion_IsConflict()
    {
        string ns = await server.CreateNamespaceAsync();
        JsonObject created = await CreateConfigMapAsync(ns, "guarded", []);
        using (HttpResponseMessage first = await PatchAsync($"/api/v1/namespaces/{ns}/configmaps/guarded", "application/merge-patch+json", new JsonObject { ["data"] = new JsonObject { ["a"] = "1" } }))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        var stale = new JsonObject { ["metadata"] = new JsonObject { ["resourceVersion"] = (string?)created["metadata"]!["resourceVersion"] }, ["data"] = new JsonObject { ["a"] = "2" } };
        using HttpResponseMessage response = await PatchAsync($"/api/v1/namespaces/{ns}/configmaps/guarded", "application/merge-patch+json", stale);
        await AssertStatusAsync(response, HttpStatusCode.Conflict, "Conflict", "the object has been modified");
    }

    [Fact]
    public async Task Patch_WithServerSideApply_IsNotSupported415()
    {
        string ns = await server.CreateNamespaceAsync();
        await CreateConfigMapAsync(ns, "applied", []);
        using var content = new StringContent("{}", Encoding.UTF8);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/apply-patch+yaml");
        using var request = new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/namespaces/{ns}/configmaps/applied?fieldManager=test") { Content = content };
        using HttpResponseMessage response = await server.Client.SendAsync(request);
        await AssertStatusAsync(response, HttpStatusCode.UnsupportedMediaType, "UnsupportedMediaType", "merge-patch");
    }

    [Fact]
    public async Task Patch_OfAMissingObject_IsNotFound()
    {
        string ns = await server.CreateNamespaceAsync();
        using HttpResponseMessage response = await PatchAsync($"/api/v1/namespaces/{ns}/configmaps/nobody", "application/merge-patch+json", new JsonObject());
        await AssertStatusAsync(response, HttpStatusCode.NotFound, "NotFound", "configmaps \"nobody\" not found");
    }

    private Task<HttpResponseMessage> PatchAsync(string path, string mediaType, JsonObject patch)
    {
        var content = new StringContent(patch.ToJsonString(), Encoding.UTF8);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(mediaType);
        return server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Patch, path) { Content = content });
    }

    [Fact]
    public async Task ConcurrentPatchesWithoutResourceVersion_AllLand()
    {
        // Each patch is a read-modify-write; a lost compare-and-swap must be retried, never dropped.
        string ns = await server.CreateNamespaceAsync();
        await CreateConfigMapAsync(ns, "contended", []);
        await Task.WhenAll(Enumerable.Range(0, 20).Select(async i =>
        {
            using HttpResponseMessage response = await PatchAsync($"/api/v1/namespaces/{ns}/configmaps/contended", "application/merge-patch+json", new JsonObject { ["data"] = new JsonObject { [$"k{i}"] = "v" } });
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }));

        using HttpResponseMessage get = await server.Client.GetAsync($"/api/v1/namespaces/{ns}/configmaps/contended");
        Assert.Equal(20, (await ApiServerFixture.ReadObjectAsync(get))["data"]!.AsObject().Count);
    }

    [Fact]
    public async Task UnknownResource_IsNotFound()
    {
        using HttpResponseMessage response = await server.Client.GetAsync("/api/v1/namespaces/default/widgets");
        await AssertStatusAsync(response, HttpStatusCode.NotFound, "NotFound", "could not find the requested resource");
    }

    internal static async Task<JsonObject> AssertStatusAsync(HttpResponseMessage response, HttpStatusCode code, string reason, string messagePart)
    {
        Assert.Equal(code, response.StatusCode);
        JsonObject status = await ApiServerFixture.ReadObjectAsync(response);
        Assert.Equal("Status", (string?)status["kind"]);
        Assert.Equal("v1", (string?)status["apiVersion"]);
        Assert.Equal("Failure", (string?)status["status"]);
        Assert.Equal(reason, (string?)status["reason"]);
        Assert.Equal((int)code, (int)status["code"]!);
        Assert.Contains(messagePart, (string?)status["message"]);
        return status;
    }

    private Task<HttpResponseMessage> PostConfigMapAsync(string ns, string name, JsonObject data)
    {
        var body = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["metadata"] = new JsonObject { ["name"] = name }, ["data"] = data };
        return server.Client.PostAsync($"/api/v1/namespaces/{ns}/configmaps", ApiServerFixture.Json(body));
    }

    private async Task<JsonObject> CreateConfigMapAsync(string ns, string name, JsonObject data)
    {
        using HttpResponseMessage response = await PostConfigMapAsync(ns, name, data);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await ApiServerFixture.ReadObjectAsync(response);
    }
}
