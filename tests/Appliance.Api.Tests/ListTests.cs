using System.Net;
using System.Text.Json.Nodes;

namespace Appliance.Api.Tests;

public sealed class ListTests(ApiServerFixture server) : IClassFixture<ApiServerFixture>
{
    [Fact]
    public async Task List_ReturnsAListKindWithTheStoreRevisionAsResourceVersion()
    {
        string ns = await SeedAsync();
        JsonObject list = await ListAsync($"/api/v1/namespaces/{ns}/configmaps");
        Assert.Equal("ConfigMapList", (string?)list["kind"]);
        Assert.Equal("v1", (string?)list["apiVersion"]);
        long listVersion = long.Parse((string)list["metadata"]!["resourceVersion"]!);
        Assert.All(list["items"]!.AsArray(), item => Assert.True(long.Parse((string)item!["metadata"]!["resourceVersion"]!) <= listVersion));
        Assert.Equal(["a", "b", "c", "d"], Names(list));
    }

    [Theory]
    [InlineData("tier=web", new[] { "a", "b" })]
    [InlineData("tier==web", new[] { "a", "b" })]
    [InlineData("tier!=web", new[] { "c", "d" })]
    [InlineData("tier in (db,cache)", new[] { "c" })]
    [InlineData("tier notin (web)", new[] { "c", "d" })]
    [InlineData("canary", new[] { "b" })]
    [InlineData("!canary", new[] { "a", "c", "d" })]
    [InlineData("tier=web,!canary", new[] { "a" })]
    public async Task List_LabelSelector_FiltersByEveryOperator(string selector, string[] expected)
    {
        string ns = await SeedAsync();
        JsonObject list = await ListAsync($"/api/v1/namespaces/{ns}/configmaps?labelSelector={Uri.EscapeDataString(selector)}");
        Assert.Equal(expected, Names(list));
    }

    [Fact]
    public async Task List_FieldSelectorOnName_ReturnsOnlyThatObject()
    {
        string ns = await SeedAsync();
        JsonObject list = await ListAsync($"/api/v1/namespaces/{ns}/configmaps?fieldSelector=metadata.name%3Dc");
        Assert.Equal(["c"], Names(list));
        JsonObject others = await ListAsync($"/api/v1/namespaces/{ns}/configmaps?fieldSelector=metadata.name!%3Dc");
        Assert.Equal(["a", "b", "d"], Names(others));
    }

    [Fact]
    public async Task List_AcrossNamespaces_FieldSelectorOnNamespace()
    {
        string ns = await SeedAsync();
        await SeedAsync();
        JsonObject list = await ListAsync($"/api/v1/configmaps?fieldSelector=metadata.namespace%3D{ns}");
        Assert.Equal(4, list["items"]!.AsArray().Count);
        Assert.All(list["items"]!.AsArray(), item => Assert.Equal(ns, (string?)item!["metadata"]!["namespace"]));
    }

    [Fact]
    public async Task List_WithLimit_PagesWithContinueAtOneRevision()
    {
        string ns = await SeedAsync();
        JsonObject first = await ListAsync($"/api/v1/namespaces/{ns}/configmaps?limit=3");
        Assert.Equal(["a", "b", "c"], Names(first));
        string token = (string)first["metadata"]!["continue"]!;

        // A write between pages is not seen: the continue token pins the first page's revision.
        await CreateAsync(ns, "bb", []);
        JsonObject second = await ListAsync($"/api/v1/namespaces/{ns}/configmaps?limit=3&continue={Uri.EscapeDataString(token)}");
        Assert.Equal(["d"], Names(second));
        Assert.Null(second["metadata"]!["continue"]);
        Assert.Equal((string?)first["metadata"]!["resourceVersion"], (string?)second["metadata"]!["resourceVersion"]);
    }

    [Fact]
    public async Task List_WithLimitAndSelector_FillsThePageWithMatches()
    {
        string ns = await SeedAsync();
        JsonObject page = await ListAsync($"/api/v1/namespaces/{ns}/configmaps?limit=1&labelSelector=tier%21%3Dweb");
        Assert.Equal(["c"], Names(page));
        JsonObject next = await ListAsync($"/api/v1/namespaces/{ns}/configmaps?limit=1&labelSelector=tier%21%3Dweb&continue={Uri.EscapeDataString((string)page["metadata"]!["continue"]!)}");
        Assert.Equal(["d"], Names(next));
    }

    [Fact]
    public async Task List_WithResourceVersionMatchExact_ReadsThePastRevision()
    {
        string ns = await SeedAsync();
        JsonObject before = await ListAsync($"/api/v1/namespaces/{ns}/configmaps");
        string version = (string)before["metadata"]!["resourceVersion"]!;
        await CreateAsync(ns, "later", []);

        JsonObject exact = await ListAsync($"/api/v1/namespaces/{ns}/configmaps?resourceVersion={version}&resourceVersionMatch=Exact");
        Assert.Equal(["a", "b", "c", "d"], Names(exact));
        Assert.Equal(version, (string?)exact["metadata"]!["resourceVersion"]);
        JsonObject notOlder = await ListAsync($"/api/v1/namespaces/{ns}/configmaps?resourceVersion={version}");
        Assert.Equal(["a", "b", "c", "d", "later"], Names(notOlder));
    }

    [Fact]
    public async Task ListAndGet_WithAFutureResourceVersion_AreTooLargeResourceVersion504()
    {
        long future = server.Store.CurrentRevision + 1000;
        foreach (string path in new[] { $"/api/v1/namespaces/default/configmaps?resourceVersion={future}", $"/api/v1/namespaces/default?resourceVersion={future}" })
        {
            using HttpResponseMessage response = await server.Client.GetAsync(path);
            JsonObject status = await CrudTests.AssertStatusAsync(response, HttpStatusCode.GatewayTimeout, "Timeout", "Too large resource version");
            Assert.Equal("ResourceVersionTooLarge", (string?)status["details"]!["causes"]![0]!["reason"]);
        }
    }

    [Fact]
    public async Task DeleteCollection_WithALabelSelector_DeletesOnlyTheMatches()
    {
        string ns = await SeedAsync();
        using HttpResponseMessage response = await server.Client.DeleteAsync($"/api/v1/namespaces/{ns}/configmaps?labelSelector=tier%3Dweb");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonObject deleted = await ApiServerFixture.ReadObjectAsync(response);
        Assert.Equal("ConfigMapList", (string?)deleted["kind"]);
        Assert.Equal(["a", "b"], Names(deleted));
        Assert.Equal(["c", "d"], Names(await ListAsync($"/api/v1/namespaces/{ns}/configmaps")));
    }

    [Fact]
    public async Task DeleteCollection_AcrossAllNamespaces_IsMethodNotAllowed()
    {
        using HttpResponseMessage response = await server.Client.DeleteAsync("/api/v1/configmaps");
        await CrudTests.AssertStatusAsync(response, HttpStatusCode.MethodNotAllowed, "MethodNotAllowed", "DELETE");
    }

    [Fact]
    public async Task ListEvents_FieldSelectorOnInvolvedObject_AsKubectlDescribeSendsIt()
    {
        string ns = await server.CreateNamespaceAsync();
        foreach ((string name, string about) in new[] { ("e1", "web"), ("e2", "db") })
        {
            var body = new JsonObject
            {
                ["metadata"] = new JsonObject { ["name"] = name },
                ["involvedObject"] = new JsonObject { ["kind"] = "ConfigMap", ["namespace"] = ns, ["name"] = about },
                ["reason"] = "Changed",
                ["type"] = "Normal",
            };
            using HttpResponseMessage created = await server.Client.PostAsync($"/api/v1/namespaces/{ns}/events", ApiServerFixture.Json(body));
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        string selector = Uri.EscapeDataString($"involvedObject.name=db,involvedObject.namespace={ns},involvedObject.kind=ConfigMap");
        JsonObject list = await ListAsync($"/api/v1/namespaces/{ns}/events?fieldSelector={selector}");
        Assert.Equal(["e2"], Names(list));
    }

    [Fact]
    public async Task List_FieldSelectorOnAnotherKindsField_IsBadRequest()
    {
        using HttpResponseMessage response = await server.Client.GetAsync("/api/v1/namespaces/default/configmaps?fieldSelector=involvedObject.name%3Dx");
        await CrudTests.AssertStatusAsync(response, HttpStatusCode.BadRequest, "BadRequest", "field label not supported: involvedObject.name");
    }

    [Theory]
    [InlineData("labelSelector=tier%20in%20(web", "unable to parse requirement")]
    [InlineData("fieldSelector=spec.x%3D1", "field label not supported: spec.x")]
    [InlineData("limit=-1", "invalid limit")]
    [InlineData("continue=garbage", "continue parameter")]
    [InlineData("resourceVersion=abc", "invalid resourceVersion")]
    [InlineData("resourceVersionMatch=Exact", "needs a non-zero resourceVersion")]
    [InlineData("resourceVersion=1&resourceVersionMatch=Newest", "unsupported resourceVersionMatch")]
    public async Task List_WithBadParameters_IsBadRequest(string query, string message)
    {
        using HttpResponseMessage response = await server.Client.GetAsync($"/api/v1/namespaces/default/configmaps?{query}");
        await CrudTests.AssertStatusAsync(response, HttpStatusCode.BadRequest, "BadRequest", message);
    }

    private static string[] Names(JsonObject list)
        => list["items"]!.AsArray().Select(item => (string)item!["metadata"]!["name"]!).ToArray();

    private async Task<JsonObject> ListAsync(string path)
    {
        using HttpResponseMessage response = await server.Client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await ApiServerFixture.ReadObjectAsync(response);
    }

    private async Task<string> SeedAsync()
    {
        string ns = await server.CreateNamespaceAsync();
        await CreateAsync(ns, "a", new JsonObject { ["tier"] = "web" });
        await CreateAsync(ns, "b", new JsonObject { ["tier"] = "web", ["canary"] = "true" });
        await CreateAsync(ns, "c", new JsonObject { ["tier"] = "db" });
        await CreateAsync(ns, "d", []);
        return ns;
    }

    private async Task CreateAsync(string ns, string name, JsonObject labels)
    {
        var body = new JsonObject { ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = labels } };
        using HttpResponseMessage response = await server.Client.PostAsync($"/api/v1/namespaces/{ns}/configmaps", ApiServerFixture.Json(body));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }
}
