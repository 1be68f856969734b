using System.Net;
using System.Text.Json.Nodes;

namespace Appliance.Api.Tests;

public sealed class WatchTests(ApiServerFixture server) : IClassFixture<ApiServerFixture>
{
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Watch_FromAResourceVersion_StreamsLaterEventsInOrder()
    {
        string ns = await server.CreateNamespaceAsync();
        JsonObject before = await CreateAsync(ns, "before");
        string version = (string)before["metadata"]!["resourceVersion"]!;
        JsonObject after = await CreateAsync(ns, "after");
        after["data"] = new JsonObject { ["k"] = "v" };
        using (HttpResponseMessage put = await server.Client.PutAsync($"/api/v1/namespaces/{ns}/configmaps/after", ApiServerFixture.Json(after)))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        using (HttpResponseMessage delete = await server.Client.DeleteAsync($"/api/v1/namespaces/{ns}/configmaps/before"))
        {
            Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
        }

        await using WatchStream watch = await WatchStream.OpenAsync(server.Client, $"/api/v1/namespaces/{ns}/configmaps?watch=1&resourceVersion={version}");
        Assert.Equal(("ADDED", "after"), Describe(await watch.NextAsync(EventTimeout)));
        JsonObject modified = await watch.NextAsync(EventTimeout);
        Assert.Equal(("MODIFIED", "after"), Describe(modified));
        Assert.Equal("v", (string?)modified["object"]!["data"]!["k"]);
        JsonObject deleted = await watch.NextAsync(EventTimeout);
        Assert.Equal(("DELETED", "before"), Describe(deleted));
        Assert.True(long.Parse((string)deleted["object"]!["metadata"]!["resourceVersion"]!) > long.Parse((string)modified["object"]!["metadata"]!["resourceVersion"]!));
    }

    [Fact]
    public async Task Watch_WithoutResourceVersion_StartsWithTheCurrentObjectsThenLiveEvents()
    {
        string ns = await server.CreateNamespaceAsync();
        await CreateAsync(ns, "existing");
        await using WatchStream watch = await WatchStream.OpenAsync(server.Client, $"/api/v1/namespaces/{ns}/configmaps?watch=true");
        Assert.Equal(("ADDED", "existing"), Describe(await watch.NextAsync(EventTimeout)));
        await CreateAsync(ns, "live");
        Assert.Equal(("ADDED", "live"), Describe(await watch.NextAsync(EventTimeout)));
    }

    [Fact]
    public async Task Watch_WithLabelSelector_SkipsNonMatchingObjects()
    {
        string ns = await server.CreateNamespaceAsync();
        await using WatchStream watch = await WatchStream.OpenAsync(server.Client, $"/api/v1/namespaces/{ns}/configmaps?watch=1&labelSelector=app%3Done");
        await CreateAsync(ns, "unlabelled");
        await CreateAsync(ns, "labelled", new JsonObject { ["app"] = "one" });
        Assert.Equal(("ADDED", "labelled"), Describe(await watch.NextAsync(EventTimeout)));
    }

    [Fact]
    public async Task Watch_WithLabelSelector_ReportsObjectsLeavingAndEnteringTheSelection()
    {
        string ns = await server.CreateNamespaceAsync();
        await using WatchStream watch = await WatchStream.OpenAsync(server.Client, $"/api/v1/namespaces/{ns}/configmaps?watch=1&labelSelector=app%3Done");
        await CreateAsync(ns, "mover", new JsonObject { ["app"] = "one" });
        Assert.Equal(("ADDED", "mover"), Describe(await watch.NextAsync(EventTimeout)));

        await PatchLabelAsync(ns, "mover", "two");
        JsonObject left = await watch.NextAsync(EventTimeout);
        Assert.Equal(("DELETED", "mover"), Describe(left));
        Assert.Equal("one", (string?)left["object"]!["metadata"]!["labels"]!["app"]);

        await PatchLabelAsync(ns, "mover", "one");
        Assert.Equal(("ADDED", "mover"), Describe(await watch.NextAsync(EventTimeout)));
        await PatchLabelAsync(ns, "mover", "one", extra: "x");
        Assert.Equal(("MODIFIED", "mover"), Describe(await watch.NextAsync(EventTimeout)));
    }

    [Fact]
    public async Task Watch_AllowingBookmarks_GetsABookmarkAtTheLatestRevisionWhenIdle()
    {
        string ns = await server.CreateNamespaceAsync();
        JsonObject created = await CreateAsync(ns, "quiet");
        await using WatchStream watch = await WatchStream.OpenAsync(server.Client, $"/api/v1/namespaces/{ns}/configmaps?watch=1&allowWatchBookmarks=true&resourceVersion={(string)created["metadata"]!["resourceVersion"]!}");

        // Writes elsewhere move the revision; the idle watch's bookmark must carry it.
        await server.CreateNamespaceAsync();
        long latest = server.Store.CurrentRevision;
        JsonObject bookmark;
        do
        {
            bookmark = await watch.NextAsync(EventTimeout);
            Assert.Equal("BOOKMARK", (string?)bookmark["type"]);
        }
        while (long.Parse((string)bookmark["object"]!["metadata"]!["resourceVersion"]!) < latest);

        Assert.Equal("ConfigMap", (string?)bookmark["object"]!["kind"]);
    }

    [Fact]
    public async Task Watch_WithoutAllowWatchBookmarks_GetsNoBookmark()
    {
        string ns = await server.CreateNamespaceAsync();
        await using WatchStream watch = await WatchStream.OpenAsync(server.Client, $"/api/v1/namespaces/{ns}/configmaps?watch=1&timeoutSeconds=1");
        Assert.Null(await watch.NextOrEndAsync(EventTimeout));
    }

    [Fact]
    public async Task Watch_TimeoutSeconds_EndsTheStream()
    {
        string ns = await server.CreateNamespaceAsync();
        await using WatchStream watch = await WatchStream.OpenAsync(server.Client, $"/api/v1/namespaces/{ns}/configmaps?watch=1&timeoutSeconds=1");
        Assert.Null(await watch.NextOrEndAsync(EventTimeout));
    }

    [Fact]
    public async Task Watch_FromACompactedResourceVersion_IsAnExpired410ErrorEvent()
    {
        string ns = await server.CreateNamespaceAsync();
        JsonObject old = await CreateAsync(ns, "old");
        await CreateAsync(ns, "newer");
        await server.Store.CompactAsync(server.Store.CurrentRevision);

        await using WatchStream watch = await WatchStream.OpenAsync(server.Client, $"/api/v1/namespaces/{ns}/configmaps?watch=1&resourceVersion={(string)old["metadata"]!["resourceVersion"]!}");
        JsonObject error = await watch.NextAsync(EventTimeout);
        Assert.Equal("ERROR", (string?)error["type"]);
        Assert.Equal("Status", (string?)error["object"]!["kind"]);
        Assert.Equal(410, (int)error["object"]!["code"]!);
        Assert.Equal("Expired", (string?)error["object"]!["reason"]);
        Assert.Null(await watch.NextOrEndAsync(EventTimeout));
    }

    [Fact]
    public async Task List_ExactlyAtACompactedResourceVersion_IsExpired410()
    {
        string ns = await server.CreateNamespaceAsync();
        JsonObject old = await CreateAsync(ns, "ancient");
        await CreateAsync(ns, "recent");
        await server.Store.CompactAsync(server.Store.CurrentRevision);
        string version = (string)old["metadata"]!["resourceVersion"]!;
        using HttpResponseMessage response = await server.Client.GetAsync($"/api/v1/namespaces/{ns}/configmaps?resourceVersion={version}&resourceVersionMatch=Exact");
        await CrudTests.AssertStatusAsync(response, HttpStatusCode.Gone, "Expired", "too old");
    }

    [Fact]
    public async Task List_WithAContinueTokenFromBeforeCompaction_IsExpired410()
    {
        string ns = await server.CreateNamespaceAsync();
        await CreateAsync(ns, "one");
        await CreateAsync(ns, "two");
        using HttpResponseMessage first = await server.Client.GetAsync($"/api/v1/namespaces/{ns}/configmaps?limit=1");
        string token = (string)(await ApiServerFixture.ReadObjectAsync(first))["metadata"]!["continue"]!;
        await CreateAsync(ns, "three");
        await server.Store.CompactAsync(server.Store.CurrentRevision);

        using HttpResponseMessage second = await server.Client.GetAsync($"/api/v1/namespaces/{ns}/configmaps?limit=1&continue={Uri.EscapeDataString(token)}");
        await CrudTests.AssertStatusAsync(second, HttpStatusCode.Gone, "Expired", "continue parameter is too old");
    }

    private async Task PatchLabelAsync(string ns, string name, string app, string? extra = null)
    {
        var patch = new JsonObject { ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["app"] = app, ["extra"] = extra } } };
        using var content = new StringContent(patch.ToJsonString(), System.Text.Encoding.UTF8);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/merge-patch+json");
        using HttpResponseMessage response = await server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/namespaces/{ns}/configmaps/{name}") { Content = content });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static (string?, string?) Describe(JsonObject watchEvent)
        => ((string?)watchEvent["type"], (string?)watchEvent["object"]!["metadata"]!["name"]);

    private async Task<JsonObject> CreateAsync(string ns, string name, JsonObject? labels = null)
    {
        var body = new JsonObject { ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = labels ?? [] } };
        using HttpResponseMessage response = await server.Client.PostAsync($"/api/v1/namespaces/{ns}/configmaps", ApiServerFixture.Json(body));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await ApiServerFixture.ReadObjectAsync(response);
    }
}
