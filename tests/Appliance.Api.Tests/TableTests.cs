using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace Appliance.Api.Tests;

public sealed class TableTests(ApiServerFixture server) : IClassFixture<ApiServerFixture>
{
    // What kubectl get sends.
    private const string TableAccept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";

    [Fact]
    public async Task List_AskedForATable_ReturnsColumnsAndOneRowPerObject()
    {
        string ns = await server.CreateNamespaceAsync();
        await CreateAsync(ns, "one", new JsonObject { ["a"] = "1", ["b"] = "2" });
        using HttpResponseMessage response = await GetAsync($"/api/v1/namespaces/{ns}/configmaps");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(response.Content.Headers.ContentType!.Parameters, p => p.Name == "as" && p.Value == "Table");
        JsonObject table = await ApiServerFixture.ReadObjectAsync(response);
        Assert.Equal("Table", (string?)table["kind"]);
        Assert.Equal("meta.k8s.io/v1", (string?)table["apiVersion"]);
        Assert.NotNull((string?)table["metadata"]!["resourceVersion"]);
        Assert.Equal(["Name", "Data", "Age"], table["columnDefinitions"]!.AsArray().Select(c => (string)c!["name"]!));
        JsonNode row = table["rows"]![0]!;
        Assert.Equal("one", (string?)row["cells"]![0]);
        Assert.Equal(2, (int)row["cells"]![1]!);
        Assert.Equal("PartialObjectMetadata", (string?)row["object"]!["kind"]);
        Assert.Equal(ns, (string?)row["object"]!["metadata"]!["namespace"]);
    }

    [Fact]
    public async Task Get_AskedForATableWithIncludeObject_CarriesTheWholeObject()
    {
        string ns = await server.CreateNamespaceAsync();
        await CreateAsync(ns, "whole", new JsonObject { ["k"] = "v" });
        using HttpResponseMessage response = await GetAsync($"/api/v1/namespaces/{ns}/configmaps/whole?includeObject=Object");
        JsonObject table = await ApiServerFixture.ReadObjectAsync(response);
        Assert.Equal("v", (string?)table["rows"]![0]!["object"]!["data"]!["k"]);
    }

    [Fact]
    public async Task Watch_AskedForTables_SendsColumnsOnlyInTheFirstEvent()
    {
        string ns = await server.CreateNamespaceAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/namespaces/{ns}/configmaps?watch=1");
        request.Headers.Accept.ParseAdd(TableAccept);
        using HttpResponseMessage response = await server.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        await CreateAsync(ns, "first", []);
        await CreateAsync(ns, "second", []);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        JsonNode first = JsonNode.Parse((await reader.ReadLineAsync(timeout.Token))!)!;
        JsonNode second = JsonNode.Parse((await reader.ReadLineAsync(timeout.Token))!)!;
        Assert.Equal("Table", (string?)first["object"]!["kind"]);
        Assert.NotNull(first["object"]!["columnDefinitions"]);
        Assert.Equal("first", (string?)first["object"]!["rows"]![0]!["cells"]![0]);
        Assert.Null(second["object"]!["columnDefinitions"]);
        Assert.Equal("second", (string?)second["object"]!["rows"]![0]!["cells"]![0]);
    }

    [Theory]
    [InlineData(0, "0s")]
    [InlineData(119, "119s")]
    [InlineData(200, "3m20s")]
    [InlineData(600, "10m")]
    [InlineData(3 * 3600 + 300, "3h5m")]
    [InlineData(30 * 3600, "30h")]
    [InlineData(3 * 86400 + 4 * 3600, "3d4h")]
    [InlineData(400 * 86400, "400d")]
    [InlineData(740 * 86400, "2y10d")]
    public void Age_FollowsKubectlsHumanDuration(int seconds, string expected)
    {
        var created = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        Assert.Equal(expected, TableWriter.Age("2026-01-01T00:00:00Z", created.AddSeconds(seconds)));
    }

    private async Task<HttpResponseMessage> GetAsync(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.ParseAdd(TableAccept);
        HttpResponseMessage response = await server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response;
    }

    private async Task CreateAsync(string ns, string name, JsonObject data)
    {
        var body = new JsonObject { ["metadata"] = new JsonObject { ["name"] = name }, ["data"] = data };
        using HttpResponseMessage response = await server.Client.PostAsync($"/api/v1/namespaces/{ns}/configmaps", ApiServerFixture.Json(body));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }
}
