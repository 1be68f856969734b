using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Appliance.Api.Tests;

public sealed class BadInputTests(ApiServerFixture server) : IClassFixture<ApiServerFixture>
{
    [Fact]
    public async Task Create_WithABodyOver3MiB_IsRequestEntityTooLarge413()
    {
        var body = new JsonObject { ["metadata"] = new JsonObject { ["name"] = "huge" }, ["data"] = new JsonObject { ["x"] = new string('a', 3 * 1024 * 1024) } };
        using HttpResponseMessage response = await server.Client.PostAsync("/api/v1/namespaces/default/configmaps", ApiServerFixture.Json(body));
        await CrudTests.AssertStatusAsync(response, HttpStatusCode.RequestEntityTooLarge, "RequestEntityTooLarge", "3 MiB");
    }

    [Fact]
    public async Task Create_AsYaml_IsUnsupportedMediaType415()
    {
        using var content = new StringContent("metadata:\n  name: y\n", Encoding.UTF8, "application/yaml");
        using HttpResponseMessage response = await server.Client.PostAsync("/api/v1/namespaces/default/configmaps", content);
        await CrudTests.AssertStatusAsync(response, HttpStatusCode.UnsupportedMediaType, "UnsupportedMediaType", "application/json");
    }

    [Fact]
    public async Task Create_AsProtobufForAKindWithoutASchema_IsUnsupportedMediaType415()
    {
        using var content = new ByteArrayContent("k8s\0"u8.ToArray());
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/vnd.kubernetes.protobuf");
        using HttpResponseMessage response = await server.Client.PostAsync("/apis/management.appliance.io/v1/settings", content);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

    [Fact]
    public async Task Create_WithANamespaceOtherThanTheUrls_IsBadRequest()
    {
        var body = new JsonObject { ["metadata"] = new JsonObject { ["name"] = "x", ["namespace"] = "elsewhere" } };
        using HttpResponseMessage response = await server.Client.PostAsync("/api/v1/namespaces/default/configmaps", ApiServerFixture.Json(body));
        await CrudTests.AssertStatusAsync(response, HttpStatusCode.BadRequest, "BadRequest", "does not match the namespace");
    }

    [Fact]
    public async Task Create_WithoutAName_IsInvalidWithARequiredCause()
    {
        using HttpResponseMessage response = await server.Client.PostAsync("/api/v1/namespaces/default/configmaps", ApiServerFixture.Json(new JsonObject { ["data"] = new JsonObject() }));
        JsonObject status = await CrudTests.AssertStatusAsync(response, HttpStatusCode.UnprocessableEntity, "Invalid", "name or generateName is required");
        Assert.Equal("FieldValueRequired", (string?)status["details"]!["causes"]![0]!["reason"]);
    }

    [Fact]
    public async Task CreateNamespace_WithADotInTheName_IsInvalidBecauseNamespacesAreDnsLabels()
    {
        using HttpResponseMessage response = await server.Client.PostAsync("/api/v1/namespaces", ApiServerFixture.Json(new JsonObject { ["metadata"] = new JsonObject { ["name"] = "a.b" } }));
        await CrudTests.AssertStatusAsync(response, HttpStatusCode.UnprocessableEntity, "Invalid", "RFC 1123 label");
    }

    [Theory]
    [InlineData("""{"bad key!":"x"}""", "metadata.labels")]
    [InlineData("""{"app":"has spaces"}""", "metadata.labels")]
    [InlineData("""{"app":5}""", "metadata.labels[app]")]
    public async Task Create_WithInvalidLabels_IsInvalid(string labels, string field)
    {
        var body = new JsonObject { ["metadata"] = new JsonObject { ["name"] = "labelled", ["labels"] = JsonNode.Parse(labels) } };
        using HttpResponseMessage response = await server.Client.PostAsync("/api/v1/namespaces/default/configmaps", ApiServerFixture.Json(body));
        JsonObject status = await CrudTests.AssertStatusAsync(response, HttpStatusCode.UnprocessableEntity, "Invalid", "labelled");
        Assert.Equal(field, (string?)status["details"]!["causes"]![0]!["field"]);
    }

    [Fact]
    public async Task Update_WithAnotherNameInTheBody_IsBadRequest()
    {
        await server.Client.PostAsync("/api/v1/namespaces/default/configmaps", ApiServerFixture.Json(new JsonObject { ["metadata"] = new JsonObject { ["name"] = "renamed" } }));
        using HttpResponseMessage response = await server.Client.PutAsync("/api/v1/namespaces/default/configmaps/renamed", ApiServerFixture.Json(new JsonObject { ["metadata"] = new JsonObject { ["name"] = "other" } }));
        await CrudTests.AssertStatusAsync(response, HttpStatusCode.BadRequest, "BadRequest", "does not match the name on the URL");
    }

    [Fact]
    public async Task Create_WithDryRunAll_StoresNothing()
    {
        var body = new JsonObject { ["metadata"] = new JsonObject { ["name"] = "dry" } };
        using HttpResponseMessage response = await server.Client.PostAsync("/api/v1/namespaces/default/configmaps?dryRun=All", ApiServerFixture.Json(body));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        using HttpResponseMessage get = await server.Client.GetAsync("/api/v1/namespaces/default/configmaps/dry");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
    }

    [Fact]
    public async Task PostToAnObjectUrl_IsMethodNotAllowed405()
    {
        using HttpResponseMessage response = await server.Client.PostAsync("/api/v1/namespaces/default", ApiServerFixture.Json(new JsonObject()));
        await CrudTests.AssertStatusAsync(response, HttpStatusCode.MethodNotAllowed, "MethodNotAllowed", "POST");
    }

    [Fact]
    public async Task Delete_WithAStaleUidPrecondition_IsConflict()
    {
        await server.Client.PostAsync("/api/v1/namespaces/default/configmaps", ApiServerFixture.Json(new JsonObject { ["metadata"] = new JsonObject { ["name"] = "guarded" } }));
        var options = new JsonObject { ["kind"] = "DeleteOptions", ["apiVersion"] = "v1", ["preconditions"] = new JsonObject { ["uid"] = Guid.NewGuid().ToString() } };
        using var request = new HttpRequestMessage(HttpMethod.Delete, "/api/v1/namespaces/default/configmaps/guarded") { Content = ApiServerFixture.Json(options) };
        using HttpResponseMessage response = await server.Client.SendAsync(request);
        await CrudTests.AssertStatusAsync(response, HttpStatusCode.Conflict, "Conflict", "guarded");
        using HttpResponseMessage get = await server.Client.GetAsync("/api/v1/namespaces/default/configmaps/guarded");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
    }
}
