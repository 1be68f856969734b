using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Appliance.Api.OpenApi;

namespace Appliance.Api.Tests;

/// <summary>Server-side field validation: kube-apiserver's fieldValidation directive over the kinds' schemas.</summary>
public sealed class FieldValidationTests(ApiServerFixture server) : IClassFixture<ApiServerFixture>
{
    [Fact]
    public async Task CreateStrict_WithUnknownFields_IsBadRequestInKubesWords_AndCreatesNothing()
    {
        string ns = await server.CreateNamespaceAsync();
        using HttpResponseMessage response = await PostAsync($"/api/v1/namespaces/{ns}/configmaps?fieldValidation=Strict",
            """{"metadata":{"name":"strict","colour":"red"},"data":{"a":"b"},"spec":{"foo":1}}""");
        await CrudTests.AssertStatusAsync(response, HttpStatusCode.BadRequest, "BadRequest",
            "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: strict decoding error: unknown field \"metadata.colour\", unknown field \"spec\"");

        using HttpResponseMessage get = await server.Client.GetAsync($"/api/v1/namespaces/{ns}/configmaps/strict");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
    }

    [Fact]
    public async Task CreateWithoutDirective_WarnsPerUnknownField_AndDropsThem()
    {
        string ns = await server.CreateNamespaceAsync();
        using HttpResponseMessage response = await PostAsync($"/api/v1/namespaces/{ns}/configmaps",
            """{"metadata":{"name":"warned"},"data":{"a":"b"},"spec":{"foo":1}}""");
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(["299 - \"unknown field \\\"spec\\\"\""], response.Headers.GetValues("Warning"));
        JsonObject created = await ApiServerFixture.ReadObjectAsync(response);
        Assert.False(created.ContainsKey("spec"));

        JsonObject stored = await GetAsync($"/api/v1/namespaces/{ns}/configmaps/warned");
        Assert.False(stored.ContainsKey("spec"));
        Assert.Equal("b", (string?)stored["data"]!["a"]);
    }

    [Fact]
    public async Task Warnings_AboutFieldNamesOutsideAscii_AreEscaped()
    {
        string ns = await server.CreateNamespaceAsync();
        using HttpResponseMessage response = await PostAsync($"/api/v1/namespaces/{ns}/configmaps", """{"metadata":{"name":"accents"},"naïve\n":1}""");
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(["299 - \"unknown field \\\"na\\u00efve\\u000a\\\"\""], response.Headers.GetValues("Warning"));
    }

    [Fact]
    public async Task Warnings_StopAtFourKibibytes()
    {
        string ns = await server.CreateNamespaceAsync();
        var body = new JsonObject { ["metadata"] = new JsonObject { ["name"] = "many" } };
        for (int i = 0; i < 1000; i++)
        {
            body["unknown" + i] = i;
        }

        using HttpResponseMessage response = await server.Client.PostAsync($"/api/v1/namespaces/{ns}/configmaps", ApiServerFixture.Json(body));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        string[] warnings = [.. response.Headers.GetValues("Warning")];
        Assert.InRange(warnings.Sum(w => w.Length), 4096 - 40, 4096);
        Assert.Equal("299 - \"unknown field \\\"unknown0\\\"\"", warnings[0]);
    }

    [Fact]
    public async Task CreateIgnore_DropsUnknownFieldsSilently()
    {
        string ns = await server.CreateNamespaceAsync();
        using HttpResponseMessage response = await PostAsync($"/api/v1/namespaces/{ns}/secrets?fieldValidation=Ignore",
            """{"metadata":{"name":"quiet"},"stringData":{"k":"v"},"bogus":true}""");
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.False(response.Headers.Contains("Warning"));
        JsonObject stored = await GetAsync($"/api/v1/namespaces/{ns}/secrets/quiet");
        Assert.False(stored.ContainsKey("bogus"));
        Assert.Equal("dg==", (string?)stored["data"]!["k"]);
    }

    [Fact]
    public async Task DuplicateField_IsRefusedUnderStrict_AndKeepsTheLastValueUnderWarn()
    {
        string ns = await server.CreateNamespaceAsync();
        const string body = """{"metadata":{"name":"first","name":"second"},"data":{"a":"b"}}""";
        using HttpResponseMessage strict = await PostAsync($"/api/v1/namespaces/{ns}/configmaps?fieldValidation=Strict", body);
        await CrudTests.AssertStatusAsync(strict, HttpStatusCode.BadRequest, "BadRequest", "strict decoding error: duplicate field \"metadata.name\"");

        using HttpResponseMessage warned = await PostAsync($"/api/v1/namespaces/{ns}/configmaps", body);
        Assert.Equal(HttpStatusCode.Created, warned.StatusCode);
        Assert.Equal(["299 - \"duplicate field \\\"metadata.name\\\"\""], warned.Headers.GetValues("Warning"));
        Assert.Equal("second", (string?)(await ApiServerFixture.ReadObjectAsync(warned))["metadata"]!["name"]);
    }

    [Fact]
    public async Task UpdateStrict_WithAnUnknownNestedField_IsBadRequest()
    {
        string ns = await server.CreateNamespaceAsync();
        string role = $"/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/roles";
        using HttpResponseMessage created = await PostAsync(role, """{"metadata":{"name":"reader"},"rules":[{"apiGroups":[""],"resources":["pods"],"verbs":["get"]}]}""");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        using HttpResponseMessage response = await server.Client.PutAsync(role + "/reader?fieldValidation=Strict", Json(
            """{"metadata":{"name":"reader"},"rules":[{"apiGroups":[""],"resources":["pods"],"verbs":["get"]},{"verbs":["list"],"resources":["pods"],"verb":"watch"}]}"""));
        await CrudTests.AssertStatusAsync(response, HttpStatusCode.BadRequest, "BadRequest",
            "Role in version \"v1\" cannot be handled as a Role: strict decoding error: unknown field \"rules[1].verb\"");
    }

    [Fact]
    public async Task PatchStrict_WithAnUnknownField_IsInvalidOnThePatch()
    {
        string ns = await server.CreateNamespaceAsync();
        Assert.Equal(HttpStatusCode.Created, (await PostAsync($"/api/v1/namespaces/{ns}/configmaps", """{"metadata":{"name":"patched"},"data":{"a":"b"}}""")).StatusCode);

        using HttpResponseMessage response = await PatchAsync($"/api/v1/namespaces/{ns}/configmaps/patched?fieldValidation=Strict",
            "application/merge-patch+json", """{"data":{"a":"c"},"dta":{"x":"y"}}""");
        JsonObject status = await CrudTests.AssertStatusAsync(response, HttpStatusCode.UnprocessableEntity, "Invalid", "strict decoding error: unknown field \"dta\"");
        Assert.Equal("patch", (string?)status["details"]!["causes"]![0]!["field"]);
        Assert.Equal("b", (string?)(await GetAsync($"/api/v1/namespaces/{ns}/configmaps/patched"))["data"]!["a"]);
    }

    [Fact]
    public async Task PatchWithoutDirective_WarnsAndStoresOnlyKnownFields()
    {
        string ns = await server.CreateNamespaceAsync();
        Assert.Equal(HttpStatusCode.Created, (await PostAsync($"/api/v1/namespaces/{ns}/configmaps", """{"metadata":{"name":"patched"},"data":{"a":"b"}}""")).StatusCode);

        // A null deletes: not a field to report.
        using HttpResponseMessage response = await PatchAsync($"/api/v1/namespaces/{ns}/configmaps/patched",
            "application/strategic-merge-patch+json", """{"data":{"a":"c"},"extra":{"x":"y"},"gone":null}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["299 - \"unknown field \\\"extra\\\"\""], response.Headers.GetValues("Warning"));
        JsonObject stored = await GetAsync($"/api/v1/namespaces/{ns}/configmaps/patched");
        Assert.Equal("c", (string?)stored["data"]!["a"]);
        Assert.False(stored.ContainsKey("extra"));
    }

    [Fact]
    public async Task JsonPatchAddingAnUnknownField_IsNotStored()
    {
        string ns = await server.CreateNamespaceAsync();
        Assert.Equal(HttpStatusCode.Created, (await PostAsync($"/api/v1/namespaces/{ns}/configmaps", """{"metadata":{"name":"jp"},"data":{"a":"b"}}""")).StatusCode);

        using HttpResponseMessage response = await PatchAsync($"/api/v1/namespaces/{ns}/configmaps/jp",
            "application/json-patch+json", """[{"op":"add","path":"/extra","value":{"x":"y"}},{"op":"replace","path":"/data/a","value":"c"}]""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonObject stored = await GetAsync($"/api/v1/namespaces/{ns}/configmaps/jp");
        Assert.False(stored.ContainsKey("extra"));
        Assert.Equal("c", (string?)stored["data"]!["a"]);
    }

    [Theory]
    [InlineData("POST", "CreateOptions")]
    [InlineData("PUT", "UpdateOptions")]
    [InlineData("PATCH", "PatchOptions")]
    public async Task UnknownDirective_IsInvalidOnTheRequestOptions(string method, string options)
    {
        string ns = await server.CreateNamespaceAsync();
        Assert.Equal(HttpStatusCode.Created, (await PostAsync($"/api/v1/namespaces/{ns}/configmaps", """{"metadata":{"name":"opts"}}""")).StatusCode);
        string path = $"/api/v1/namespaces/{ns}/configmaps" + (method == "POST" ? "" : "/opts") + "?fieldValidation=strict";
        using var request = new HttpRequestMessage(new HttpMethod(method), path)
        {
            Content = new StringContent("""{"metadata":{"name":"opts"}}""", Encoding.UTF8, method == "PATCH" ? "application/merge-patch+json" : "application/json"),
        };
        using HttpResponseMessage response = await server.Client.SendAsync(request);
        JsonObject status = await CrudTests.AssertStatusAsync(response, HttpStatusCode.UnprocessableEntity, "Invalid",
            $"{options}.meta.k8s.io \"\" is invalid: fieldValidation: Unsupported value: \"strict\": supported values: \"Ignore\", \"Strict\", \"Warn\"");
        Assert.Equal("FieldValueNotSupported", (string?)status["details"]!["causes"]![0]!["reason"]);
    }

    [Theory]
    [InlineData("Ignore")]
    [InlineData("Strict")]
    public async Task AStringWhereAnObjectBelongs_IsBadRequestInEveryMode(string directive)
    {
        string ns = await server.CreateNamespaceAsync();
        using HttpResponseMessage response = await PostAsync($"/api/v1/namespaces/{ns}/configmaps?fieldValidation={directive}", """{"metadata":{"name":"typed"},"data":"a=b"}""");
        await CrudTests.AssertStatusAsync(response, HttpStatusCode.BadRequest, "BadRequest",
            "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: json: cannot unmarshal string into Go struct field ConfigMap.data of type map[string]string");
    }

    [Fact]
    public async Task KnownFieldsOfEveryModelledPart_AreKeptUnderStrict()
    {
        string ns = await server.CreateNamespaceAsync();
        const string binding = """
            {"metadata":{"name":"b","labels":{"app":"x"},"annotations":{"note":"y"},"finalizers":["f.example.com/x"],
              "ownerReferences":[{"apiVersion":"v1","kind":"ConfigMap","name":"o","uid":"u-1","controller":true,"blockOwnerDeletion":false}]},
             "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"reader"},
             "subjects":[{"kind":"ServiceAccount","name":"default","namespace":"NS"},{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"alice"}]}
            """;
        using HttpResponseMessage response = await PostAsync($"/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/rolebindings?fieldValidation=Strict", binding.Replace("NS", ns, StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        JsonObject stored = await GetAsync($"/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/rolebindings/b");
        Assert.Equal("u-1", (string?)stored["metadata"]!["ownerReferences"]![0]!["uid"]);
        Assert.Equal("alice", (string?)stored["subjects"]![1]!["name"]);
        Assert.Equal("reader", (string?)stored["roleRef"]!["name"]);
    }

    [Fact]
    public async Task PodFieldsNotModelled_AreKept_WhileUnknownTopLevelFieldsAreNot()
    {
        string ns = await server.CreateNamespaceAsync();
        const string pod = """
            {"metadata":{"name":"p"},
             "spec":{"containers":[{"name":"c","image":"nginx","resources":{"limits":{"cpu":"1"}},"seccompProfile":{"type":"RuntimeDefault"}}],
                     "overhead":{"cpu":"250m"}},
             "status":{"phase":"Running","hostIPs":[{"ip":"10.0.0.1"}]},
             "stray":1}
            """;
        using HttpResponseMessage response = await PostAsync($"/api/v1/namespaces/{ns}/pods", pod);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(["299 - \"unknown field \\\"stray\\\"\""], response.Headers.GetValues("Warning"));
        JsonObject stored = await GetAsync($"/api/v1/namespaces/{ns}/pods/p");
        Assert.Equal("RuntimeDefault", (string?)stored["spec"]!["containers"]![0]!["seccompProfile"]!["type"]);
        Assert.Equal("250m", (string?)stored["spec"]!["overhead"]!["cpu"]);
        Assert.Equal("10.0.0.1", (string?)stored["status"]!["hostIPs"]![0]!["ip"]);
        Assert.False(stored.ContainsKey("stray"));
    }

    [Fact]
    public void Decode_NamesFieldsInListsAndMaps_AsKubesStrictDecoder()
    {
        SchemaNode pod = KindSchemas.Find("", "v1", "Pod")!.Root;
        DecodedBody decoded = FieldValidation.Decode(
            """{"spec":{"containers":[{"name":"a"},{"name":"b","env":[{"name":"X","valu":"1"}]}]},"metadata":{"labels":{"a":"b"},"name":"x","name":"y"}}"""u8,
            pod, "Pod");
        Assert.Equal(["unknown field \"spec.containers[1].env[0].valu\"", "duplicate field \"metadata.name\""], decoded.StrictErrors);
        Assert.Null(decoded.TypeError);
        Assert.Equal("y", (string?)decoded.Object["metadata"]!["name"]);
        Assert.Equal("X", (string?)decoded.Object["spec"]!["containers"]![1]!["env"]![0]!["name"]);
        Assert.Null(decoded.Object["spec"]!["containers"]![1]!["env"]![0]!["valu"]);
    }

    [Fact]
    public void DecodePatch_DirectivesAndDeletions_AreNotUnknownFields()
    {
        SchemaNode configMap = KindSchemas.Find("", "v1", "ConfigMap")!.Root;
        const string patch = """{"$setElementOrder/finalizers":["a"],"metadata":{"$patch":"merge","finalizers":["a"]},"gone":null,"extra":1}""";
        Assert.Equal(["unknown field \"extra\""], FieldValidation.Decode(Encoding.UTF8.GetBytes(patch), configMap, "ConfigMap", patch: true).StrictErrors);
        Assert.Equal(["unknown field \"$setElementOrder/finalizers\"", "unknown field \"metadata.$patch\"", "unknown field \"gone\"", "unknown field \"extra\""],
            FieldValidation.Decode(Encoding.UTF8.GetBytes(patch), configMap, "ConfigMap").StrictErrors);
    }

    [Fact]
    public void Decode_WithoutASchema_KeepsEverything_ButStillSeesDuplicates()
    {
        DecodedBody decoded = FieldValidation.Decode("""{"a":{"b":[1,{"c":true}]},"a":{"d":12345678901234567890}}"""u8, null, "Thing");
        Assert.Equal(["duplicate field \"a\""], decoded.StrictErrors);
        Assert.Equal("""{"a":{"d":12345678901234567890}}""", decoded.Object.ToJsonString());
    }

    private Task<HttpResponseMessage> PostAsync(string path, string json) => server.Client.PostAsync(path, Json(json));

    private Task<HttpResponseMessage> PatchAsync(string path, string mediaType, string json)
        => server.Client.PatchAsync(path, new StringContent(json, Encoding.UTF8, mediaType));

    private async Task<JsonObject> GetAsync(string path)
    {
        using HttpResponseMessage response = await server.Client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await ApiServerFixture.ReadObjectAsync(response);
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");
}
