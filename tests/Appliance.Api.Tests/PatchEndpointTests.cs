using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Appliance.Api.Tests;

/// <summary>PATCH over HTTP: each media type, its errors as kube-apiserver answers them, and the engine's rules on the result.</summary>
public sealed class PatchEndpointTests(ApiServerFixture server) : IClassFixture<ApiServerFixture>
{
    private const string JsonPatch = "application/json-patch+json";
    private const string MergePatch = "application/merge-patch+json";
    private const string StrategicPatch = "application/strategic-merge-patch+json";

    [Fact]
    public async Task JsonPatch_AddsReplacesAndRemoves_AndBumpsTheGeneration()
    {
        string ns = await server.CreateNamespaceAsync();
        await CreateAsync($"/api/v1/namespaces/{ns}/configmaps", ConfigMap("cm", new JsonObject { ["keep"] = "1", ["drop"] = "2", ["change"] = "3" }));
        using HttpResponseMessage response = await PatchAsync($"/api/v1/namespaces/{ns}/configmaps/cm", JsonPatch, """
            [{"op":"add","path":"/data/new","value":"4"},{"op":"replace","path":"/data/change","value":"5"},{"op":"remove","path":"/data/drop"},
             {"op":"add","path":"/metadata/labels","value":{"app.kubernetes.io/name":"x"}},{"op":"replace","path":"/metadata/labels/app.kubernetes.io~1name","value":"y"}]
            """);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonObject patched = await ApiServerFixture.ReadObjectAsync(response);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"keep":"1","change":"5","new":"4"}"""), patched["data"]));
        Assert.Equal("y", (string?)patched["metadata"]!["labels"]!["app.kubernetes.io/name"]);
        Assert.Equal(2, (long)patched["metadata"]!["generation"]!);

        JsonObject stored = await GetAsync($"/api/v1/namespaces/{ns}/configmaps/cm");
        Assert.True(JsonNode.DeepEquals(patched, stored));
    }

    [Fact]
    public async Task JsonPatch_WithAFailingTest_Is422InvalidWithTheReason_AndChangesNothing()
    {
        string ns = await server.CreateNamespaceAsync();
        JsonObject created = await CreateAsync($"/api/v1/namespaces/{ns}/configmaps", ConfigMap("cm", new JsonObject { ["a"] = "1" }));
        using HttpResponseMessage response = await PatchAsync($"/api/v1/namespaces/{ns}/configmaps/cm", JsonPatch,
            """[{"op":"add","path":"/data/b","value":"2"},{"op":"test","path":"/data/a","value":"2"}]""");
        JsonObject status = await AssertStatusAsync(response, HttpStatusCode.UnprocessableEntity, "Invalid", "the server rejected our request due to an error in our request");
        JsonNode cause = status["details"]!["causes"]![0]!;
        Assert.Equal("UnexpectedServerResponse", (string?)cause["reason"]);
        Assert.Equal("testing value /data/a failed: test failed", (string?)cause["message"]);

        Assert.True(JsonNode.DeepEquals(created, await GetAsync($"/api/v1/namespaces/{ns}/configmaps/cm")));
    }

    [Fact]
    public async Task JsonPatch_OnAPathThatIsNotThere_Is422Invalid()
    {
        string ns = await server.CreateNamespaceAsync();
        await CreateAsync($"/api/v1/namespaces/{ns}/configmaps", ConfigMap("cm", []));
        using HttpResponseMessage response = await PatchAsync($"/api/v1/namespaces/{ns}/configmaps/cm", JsonPatch,
            """[{"op":"replace","path":"/data/missing","value":"x"}]""");
        JsonObject status = await AssertStatusAsync(response, HttpStatusCode.UnprocessableEntity, "Invalid", "rejected our request");
        Assert.Contains("doc is missing path: \"/data/missing\"", (string?)status["details"]!["causes"]![0]!["message"], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""[{"op":"add",""")]
    [InlineData("""{"op":"add","path":"/data/a","value":"1"}""")]
    [InlineData("""[{"op":"add","path":"/data/a","value":"1","op":"remove"}]""")]
    [InlineData("")]
    public async Task JsonPatch_Unparseable_Is400BadRequest(string body)
    {
        string ns = await server.CreateNamespaceAsync();
        await CreateAsync($"/api/v1/namespaces/{ns}/configmaps", ConfigMap("cm", []));
        using HttpResponseMessage response = await PatchAsync($"/api/v1/namespaces/{ns}/configmaps/cm", JsonPatch, body);
        await AssertStatusAsync(response, HttpStatusCode.BadRequest, "BadRequest", "");
    }

    [Fact]
    public async Task JsonPatch_WithMoreThan10000Operations_Is413()
    {
        string ns = await server.CreateNamespaceAsync();
        await CreateAsync($"/api/v1/namespaces/{ns}/configmaps", ConfigMap("cm", []));
        string body = "[" + string.Join(",", Enumerable.Repeat("""{"op":"test","path":"/kind","value":"ConfigMap"}""", 10_001)) + "]";
        using HttpResponseMessage response = await PatchAsync($"/api/v1/namespaces/{ns}/configmaps/cm", JsonPatch, body);
        await AssertStatusAsync(response, HttpStatusCode.RequestEntityTooLarge, "RequestEntityTooLarge", "The allowed maximum operations in a JSON patch is 10000, got 10001");

        string allowed = "[" + string.Join(",", Enumerable.Repeat("""{"op":"test","path":"/kind","value":"ConfigMap"}""", 10_000)) + "]";
        using HttpResponseMessage ok = await PatchAsync($"/api/v1/namespaces/{ns}/configmaps/cm", JsonPatch, allowed);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task JsonPatch_CopyingBeyond3MiB_Is422_AndTheServerStaysUp()
    {
        string ns = await server.CreateNamespaceAsync();
        await CreateAsync($"/api/v1/namespaces/{ns}/configmaps", ConfigMap("cm", new JsonObject { ["seed"] = new string('x', 64 * 1024) }));
        string body = "[" + string.Join(",", Enumerable.Repeat("""{"op":"copy","from":"/data","path":"/metadata/annotations"},{"op":"copy","from":"/metadata/annotations","path":"/data/more"}""", 40)) + "]";
        using HttpResponseMessage response = await PatchAsync($"/api/v1/namespaces/{ns}/configmaps/cm", JsonPatch, body);
        JsonObject status = await AssertStatusAsync(response, HttpStatusCode.UnprocessableEntity, "Invalid", "rejected our request");
        Assert.Contains("exceeding the limit", (string?)status["details"]!["causes"]![0]!["message"], StringComparison.Ordinal);

        using HttpResponseMessage get = await server.Client.GetAsync($"/api/v1/namespaces/{ns}/configmaps/cm");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
    }

    [Fact]
    public async Task JsonPatch_ThatChangesTheResourceVersion_IsAPrecondition()
    {
        string ns = await server.CreateNamespaceAsync();
        JsonObject created = await CreateAsync($"/api/v1/namespaces/{ns}/configmaps", ConfigMap("cm", []));
        string stale = (string)created["metadata"]!["resourceVersion"]!;
        using (HttpResponseMessage first = await PatchAsync($"/api/v1/namespaces/{ns}/configmaps/cm", JsonPatch, """[{"op":"add","path":"/data","value":{"a":"1"}}]"""))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        using HttpResponseMessage conflict = await PatchAsync($"/api/v1/namespaces/{ns}/configmaps/cm", JsonPatch,
            $$"""[{"op":"replace","path":"/metadata/resourceVersion","value":"{{stale}}"},{"op":"add","path":"/data/b","value":"2"}]""");
        await AssertStatusAsync(conflict, HttpStatusCode.Conflict, "Conflict", "the object has been modified");

        // test on the resourceVersion is the other way to guard a JSON patch: a failed test.
        using HttpResponseMessage tested = await PatchAsync($"/api/v1/namespaces/{ns}/configmaps/cm", JsonPatch,
            $$"""[{"op":"test","path":"/metadata/resourceVersion","value":"{{stale}}"},{"op":"add","path":"/data/b","value":"2"}]""");
        await AssertStatusAsync(tested, HttpStatusCode.UnprocessableEntity, "Invalid", "rejected our request");

        Assert.Null((await GetAsync($"/api/v1/namespaces/{ns}/configmaps/cm"))["data"]!["b"]);
    }

    [Fact]
    public async Task JsonPatch_ThatBreaksTheKindsRules_IsInvalid422FromValidation()
    {
        string ns = await server.CreateNamespaceAsync();
        await CreateAsync($"/api/v1/namespaces/{ns}/configmaps", ConfigMap("cm", []));
        using HttpResponseMessage response = await PatchAsync($"/api/v1/namespaces/{ns}/configmaps/cm", JsonPatch, """[{"op":"add","path":"/data","value":{"n":1}}]""");
        await AssertStatusAsync(response, HttpStatusCode.UnprocessableEntity, "Invalid", "ConfigMap \"cm\" is invalid");
    }

    [Fact]
    public async Task JsonPatch_ThatRenamesTheObject_Is400()
    {
        string ns = await server.CreateNamespaceAsync();
        await CreateAsync($"/api/v1/namespaces/{ns}/configmaps", ConfigMap("cm", []));
        using HttpResponseMessage response = await PatchAsync($"/api/v1/namespaces/{ns}/configmaps/cm", JsonPatch, """[{"op":"replace","path":"/metadata/name","value":"other"}]""");
        await AssertStatusAsync(response, HttpStatusCode.BadRequest, "BadRequest", "does not match the name on the URL");
    }

    [Fact]
    public async Task JsonPatch_ThatReplacesTheDocumentWithAString_Is422()
    {
        string ns = await server.CreateNamespaceAsync();
        await CreateAsync($"/api/v1/namespaces/{ns}/configmaps", ConfigMap("cm", []));
        using HttpResponseMessage response = await PatchAsync($"/api/v1/namespaces/{ns}/configmaps/cm", JsonPatch, """[{"op":"replace","path":"","value":"text"}]""");
        await AssertStatusAsync(response, HttpStatusCode.UnprocessableEntity, "Invalid", "the patched document is not an object");
    }

    [Fact]
    public async Task JsonPatch_WithDryRun_AnswersTheResultButStoresNothing()
    {
        string ns = await server.CreateNamespaceAsync();
        JsonObject created = await CreateAsync($"/api/v1/namespaces/{ns}/configmaps", ConfigMap("cm", []));
        using HttpResponseMessage response = await PatchAsync($"/api/v1/namespaces/{ns}/configmaps/cm?dryRun=All", JsonPatch, """[{"op":"add","path":"/data","value":{"a":"1"}}]""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("1", (string?)(await ApiServerFixture.ReadObjectAsync(response))["data"]!["a"]);
        Assert.True(JsonNode.DeepEquals(created, await GetAsync($"/api/v1/namespaces/{ns}/configmaps/cm")));
    }

    [Fact]
    public async Task JsonPatch_WithACharsetParameter_IsAccepted()
    {
        string ns = await server.CreateNamespaceAsync();
        await CreateAsync($"/api/v1/namespaces/{ns}/configmaps", ConfigMap("cm", []));
        using HttpResponseMessage response = await PatchAsync($"/api/v1/namespaces/{ns}/configmaps/cm", JsonPatch + "; charset=utf-8", """[{"op":"add","path":"/data","value":{"a":"1"}}]""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task ConcurrentJsonPatchesWithoutResourceVersion_AllLand()
    {
        // A JSON patch that loses the compare-and-swap is applied again to the new object, never dropped.
        string ns = await server.CreateNamespaceAsync();
        await CreateAsync($"/api/v1/namespaces/{ns}/configmaps", ConfigMap("cm", []));
        await Task.WhenAll(Enumerable.Range(0, 20).Select(async i =>
        {
            using HttpResponseMessage response = await PatchAsync($"/api/v1/namespaces/{ns}/configmaps/cm", JsonPatch, $$"""[{"op":"add","path":"/data/k{{i}}","value":"v"}]""");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }));

        Assert.Equal(20, (await GetAsync($"/api/v1/namespaces/{ns}/configmaps/cm"))["data"]!.AsObject().Count);
    }

    [Fact]
    public async Task StrategicMergePatch_OnAPod_MergesContainersByNameAndDeletesByDirective()
    {
        string ns = await server.CreateNamespaceAsync();
        await CreateAsync($"/api/v1/namespaces/{ns}/pods", JsonNode.Parse("""
            {"metadata":{"name":"web"},"spec":{"containers":[
              {"name":"app","image":"app:1","env":[{"name":"MODE","value":"fast"}]},
              {"name":"debug","image":"busybox"}]}}
            """)!.AsObject());
        using HttpResponseMessage response = await PatchAsync($"/api/v1/namespaces/{ns}/pods/web", StrategicPatch, """
            {"spec":{"containers":[{"name":"app","image":"app:2","env":[{"name":"LEVEL","value":"3"}]},{"name":"debug","$patch":"delete"}]}}
            """);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonArray containers = (await ApiServerFixture.ReadObjectAsync(response))["spec"]!["containers"]!.AsArray();
        JsonNode app = Assert.Single(containers)!;
        Assert.Equal("app:2", (string?)app["image"]);
        Assert.Equal(["LEVEL", "MODE"], app["env"]!.AsArray().Select(e => (string)e!["name"]!).Order());
    }

    [Fact]
    public async Task StrategicMergePatch_OnAConfigMap_ReplacesAMapWithTheReplaceDirective()
    {
        string ns = await server.CreateNamespaceAsync();
        await CreateAsync($"/api/v1/namespaces/{ns}/configmaps", ConfigMap("cm", new JsonObject { ["a"] = "1", ["b"] = "2" }));
        using HttpResponseMessage response = await PatchAsync($"/api/v1/namespaces/{ns}/configmaps/cm", StrategicPatch, """{"data":{"$patch":"replace","c":"3"}}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"c":"3"}"""), (await ApiServerFixture.ReadObjectAsync(response))["data"]));
    }

    [Fact]
    public async Task StrategicMergePatch_OfFinalizers_AddsAndDeletesFromTheSet()
    {
        string ns = await server.CreateNamespaceAsync();
        JsonObject cm = ConfigMap("cm", []);
        cm["metadata"]!["finalizers"] = new JsonArray("example.com/a", "example.com/b");
        await CreateAsync($"/api/v1/namespaces/{ns}/configmaps", cm);
        using HttpResponseMessage response = await PatchAsync($"/api/v1/namespaces/{ns}/configmaps/cm", StrategicPatch,
            """{"metadata":{"$deleteFromPrimitiveList/finalizers":["example.com/a"],"finalizers":["example.com/c"]}}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonNode? finalizers = (await ApiServerFixture.ReadObjectAsync(response))["metadata"]!["finalizers"];
        Assert.Equal(["example.com/b", "example.com/c"], finalizers!.AsArray().Select(f => (string)f!).Order());
    }

    [Fact]
    public async Task StrategicMergePatch_WithoutAMergeKey_Is400()
    {
        string ns = await server.CreateNamespaceAsync();
        await CreateAsync($"/api/v1/namespaces/{ns}/pods", JsonNode.Parse("""{"metadata":{"name":"web"},"spec":{"containers":[{"name":"app"}]}}""")!.AsObject());
        using HttpResponseMessage response = await PatchAsync($"/api/v1/namespaces/{ns}/pods/web", StrategicPatch, """{"spec":{"containers":[{"image":"x"}]}}""");
        await AssertStatusAsync(response, HttpStatusCode.BadRequest, "BadRequest", "does not contain declared merge key: name");
    }

    [Fact]
    public async Task StrategicMergePatch_OfAManagementKind_Is415LikeACustomResource()
    {
        await CreateAsync("/apis/management.appliance.io/v1/settings", JsonNode.Parse("""{"metadata":{"name":"smp-refused"},"value":"a"}""")!.AsObject());
        using HttpResponseMessage response = await PatchAsync("/apis/management.appliance.io/v1/settings/smp-refused", StrategicPatch, """{"value":"b"}""");
        JsonObject status = await AssertStatusAsync(response, HttpStatusCode.UnsupportedMediaType, "UnsupportedMediaType",
            "accepted media types include: application/json-patch+json, application/merge-patch+json");
        Assert.DoesNotContain("accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic", (string?)status["message"], StringComparison.Ordinal);

        using HttpResponseMessage merged = await PatchAsync("/apis/management.appliance.io/v1/settings/smp-refused", MergePatch, """{"value":"b"}""");
        Assert.Equal(HttpStatusCode.OK, merged.StatusCode);
        using HttpResponseMessage patched = await PatchAsync("/apis/management.appliance.io/v1/settings/smp-refused", JsonPatch, """[{"op":"replace","path":"/value","value":"c"}]""");
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        Assert.Equal("c", (string?)(await ApiServerFixture.ReadObjectAsync(patched))["value"]);
    }

    [Fact]
    public async Task ServerSideApply_Is415SayingItIsNotSupported()
    {
        string ns = await server.CreateNamespaceAsync();
        await CreateAsync($"/api/v1/namespaces/{ns}/configmaps", ConfigMap("cm", []));
        using HttpResponseMessage response = await PatchAsync($"/api/v1/namespaces/{ns}/configmaps/cm?fieldManager=test", "application/apply-patch+yaml", "apiVersion: v1\nkind: ConfigMap\n");
        await AssertStatusAsync(response, HttpStatusCode.UnsupportedMediaType, "UnsupportedMediaType",
            "server-side apply (application/apply-patch+yaml) is not supported by this server");
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/json")]
    public async Task Patch_WithAnotherContentType_Is415ListingTheAcceptedTypes(string mediaType)
    {
        string ns = await server.CreateNamespaceAsync();
        await CreateAsync($"/api/v1/namespaces/{ns}/configmaps", ConfigMap("cm", []));
        using HttpResponseMessage response = await PatchAsync($"/api/v1/namespaces/{ns}/configmaps/cm", mediaType, "{}");
        await AssertStatusAsync(response, HttpStatusCode.UnsupportedMediaType, "UnsupportedMediaType",
            "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json");
    }

    [Fact]
    public async Task MergePatch_WithDuplicateMembers_Is400NotAServerError()
    {
        string ns = await server.CreateNamespaceAsync();
        await CreateAsync($"/api/v1/namespaces/{ns}/configmaps", ConfigMap("cm", []));
        using HttpResponseMessage response = await PatchAsync($"/api/v1/namespaces/{ns}/configmaps/cm", MergePatch, """{"data":{"a":"1","a":"2"}}""");
        await AssertStatusAsync(response, HttpStatusCode.BadRequest, "BadRequest", "Duplicate property");
    }

    private static JsonObject ConfigMap(string name, JsonObject data)
        => new() { ["metadata"] = new JsonObject { ["name"] = name }, ["data"] = data };

    private async Task<JsonObject> CreateAsync(string collection, JsonObject obj)
    {
        using HttpResponseMessage response = await server.Client.PostAsync(collection, ApiServerFixture.Json(obj));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await ApiServerFixture.ReadObjectAsync(response);
    }

    private async Task<JsonObject> GetAsync(string path)
    {
        using HttpResponseMessage response = await server.Client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await ApiServerFixture.ReadObjectAsync(response);
    }

    private Task<HttpResponseMessage> PatchAsync(string path, string mediaType, string body)
    {
        var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(mediaType);
        return server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Patch, path) { Content = content });
    }

    private static async Task<JsonObject> AssertStatusAsync(HttpResponseMessage response, HttpStatusCode code, string reason, string message)
    {
        Assert.Equal(code, response.StatusCode);
        JsonObject status = await ApiServerFixture.ReadObjectAsync(response);
        Assert.Equal("Status", (string?)status["kind"]);
        Assert.Equal(reason, (string?)status["reason"]);
        Assert.Equal((int)code, (int)status["code"]!);
        Assert.Contains(message, (string?)status["message"], StringComparison.Ordinal);
        return status;
    }
}
