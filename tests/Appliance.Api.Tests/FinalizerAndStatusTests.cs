using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Appliance.Api.Tests;

/// <summary>Finalizers (mark, then delete when the last is removed) and the status subresource.</summary>
public sealed class FinalizerAndStatusTests(ApiServerFixture server) : IClassFixture<ApiServerFixture>
{
    private static StringContent MergePatch(string json) => new(json, Encoding.UTF8, "application/merge-patch+json");

    private async Task<string> CreateConfigMapWithFinalizerAsync(string ns)
    {
        var configMap = new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "held", ["finalizers"] = new JsonArray("example.com/cleanup") },
            ["data"] = new JsonObject { ["a"] = "1" },
        };
        using HttpResponseMessage created = await server.Client.PostAsync($"/api/v1/namespaces/{ns}/configmaps", ApiServerFixture.Json(configMap));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return $"/api/v1/namespaces/{ns}/configmaps/held";
    }

    [Fact]
    public async Task Delete_OfAnObjectWithFinalizers_MarksIt_AndRemovingTheLastFinalizerDeletesIt()
    {
        string ns = await server.CreateNamespaceAsync();
        string path = await CreateConfigMapWithFinalizerAsync(ns);

        using HttpResponseMessage delete = await server.Client.DeleteAsync(path);
        Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
        JsonObject marked = await ApiServerFixture.ReadObjectAsync(delete);
        string? deletionTimestamp = (string?)marked["metadata"]!["deletionTimestamp"];
        Assert.False(string.IsNullOrEmpty(deletionTimestamp));

        using (HttpResponseMessage stillThere = await server.Client.GetAsync(path))
        {
            Assert.Equal(HttpStatusCode.OK, stillThere.StatusCode);
            Assert.Equal(deletionTimestamp, (string?)(await ApiServerFixture.ReadObjectAsync(stillThere))["metadata"]!["deletionTimestamp"]);
        }

        // A second delete changes nothing; the mark is the first one.
        using (HttpResponseMessage again = await server.Client.DeleteAsync(path))
        {
            Assert.Equal(deletionTimestamp, (string?)(await ApiServerFixture.ReadObjectAsync(again))["metadata"]!["deletionTimestamp"]);
        }

        using HttpResponseMessage release = await server.Client.PatchAsync(path, MergePatch("""{"metadata":{"finalizers":null}}"""));
        Assert.Equal(HttpStatusCode.OK, release.StatusCode);
        using HttpResponseMessage gone = await server.Client.GetAsync(path);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task ObjectBeingDeleted_RefusesNewFinalizers_AndKeepsItsMarkAgainstUpdates()
    {
        string ns = await server.CreateNamespaceAsync();
        string path = await CreateConfigMapWithFinalizerAsync(ns);
        using (await server.Client.DeleteAsync(path))
        {
        }

        using HttpResponseMessage added = await server.Client.PatchAsync(path, MergePatch("""{"metadata":{"finalizers":["example.com/cleanup","example.com/more"]}}"""));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, added.StatusCode);
        Assert.Contains("no new finalizers can be added if the object is being deleted", await added.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using HttpResponseMessage cleared = await server.Client.PatchAsync(path, MergePatch("""{"metadata":{"deletionTimestamp":null},"data":{"b":"2"}}"""));
        Assert.Equal(HttpStatusCode.OK, cleared.StatusCode);
        Assert.NotNull((await ApiServerFixture.ReadObjectAsync(cleared))["metadata"]!["deletionTimestamp"]);
    }

    [Fact]
    public async Task Update_CannotSetADeletionTimestamp()
    {
        string ns = await server.CreateNamespaceAsync();
        using (await server.Client.PostAsync($"/api/v1/namespaces/{ns}/configmaps", ApiServerFixture.Json(new JsonObject { ["metadata"] = new JsonObject { ["name"] = "plain" } })))
        {
        }

        using HttpResponseMessage patched = await server.Client.PatchAsync($"/api/v1/namespaces/{ns}/configmaps/plain", MergePatch("""{"metadata":{"deletionTimestamp":"2026-01-01T00:00:00Z"}}"""));
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        Assert.Null((await ApiServerFixture.ReadObjectAsync(patched))["metadata"]!["deletionTimestamp"]);
    }

    [Fact]
    public async Task StatusSubresource_WritesOnlyStatus_AndTheObjectWritesOnlyTheRest()
    {
        string ns = await server.CreateNamespaceAsync();
        var pod = new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "web" },
            ["spec"] = new JsonObject { ["nodeName"] = "n1" },
            ["status"] = new JsonObject { ["phase"] = "Pending" },
        };
        using (HttpResponseMessage created = await server.Client.PostAsync($"/api/v1/namespaces/{ns}/pods", ApiServerFixture.Json(pod)))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        string path = $"/api/v1/namespaces/{ns}/pods/web";
        using (HttpResponseMessage status = await server.Client.PatchAsync(path + "/status", MergePatch("""{"spec":{"nodeName":"ignored"},"status":{"phase":"Running"}}""")))
        {
            Assert.Equal(HttpStatusCode.OK, status.StatusCode);
            JsonObject afterStatus = await ApiServerFixture.ReadObjectAsync(status);
            Assert.Equal("Running", (string?)afterStatus["status"]!["phase"]);
            Assert.Equal("n1", (string?)afterStatus["spec"]!["nodeName"]);
            Assert.Equal(1, (int?)afterStatus["metadata"]!["generation"]);
        }

        using (HttpResponseMessage main = await server.Client.PatchAsync(path, MergePatch("""{"spec":{"nodeName":"n2"},"status":{"phase":"Failed"}}""")))
        {
            JsonObject afterMain = await ApiServerFixture.ReadObjectAsync(main);
            Assert.Equal("Running", (string?)afterMain["status"]!["phase"]);
            Assert.Equal("n2", (string?)afterMain["spec"]!["nodeName"]);
            Assert.Equal(2, (int?)afterMain["metadata"]!["generation"]);
        }

        using HttpResponseMessage get = await server.Client.GetAsync(path + "/status");
        Assert.Equal("Running", (string?)(await ApiServerFixture.ReadObjectAsync(get))["status"]!["phase"]);
        using HttpResponseMessage configMapStatus = await server.Client.GetAsync($"/api/v1/namespaces/{ns}/configmaps/x/status");
        Assert.Equal(HttpStatusCode.NotFound, configMapStatus.StatusCode);
        using HttpResponseMessage deleteStatus = await server.Client.DeleteAsync(path + "/status");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, deleteStatus.StatusCode);
    }

    [Fact]
    public async Task Discovery_ListsTheStatusSubresources()
    {
        JsonObject resources = await ApiServerFixture.ReadObjectAsync(await server.Client.GetAsync("/api/v1"));
        JsonNode? podStatus = resources["resources"]!.AsArray().FirstOrDefault(static r => (string?)r!["name"] == "pods/status");
        Assert.NotNull(podStatus);
        Assert.Equal(["get", "patch", "update"], podStatus["verbs"]!.AsArray().Select(static v => (string)v!).ToArray());
    }

    [Fact]
    public async Task KubectlDelete_OfAnObjectWithAFinalizer_WaitsUntilKubectlPatchRemovesIt()
    {
        string ns = await server.CreateNamespaceAsync();
        await CreateConfigMapWithFinalizerAsync(ns);
        KubectlResult delete = await server.RunKubectlAsync($"-n {ns} delete configmap held --wait=false");
        Assert.True(delete.ExitCode == 0, delete.ToString());
        Assert.Equal(0, (await server.RunKubectlAsync($"-n {ns} get configmap held")).ExitCode);

        string patchFile = Path.Combine(Path.GetTempPath(), "release-" + Guid.NewGuid().ToString("N") + ".json");
        await File.WriteAllTextAsync(patchFile, """[{"op":"remove","path":"/metadata/finalizers"}]""");
        KubectlResult patch = await server.RunKubectlAsync($"-n {ns} patch configmap held --type=json --patch-file {patchFile}");
        File.Delete(patchFile);
        Assert.True(patch.ExitCode == 0, patch.ToString());
        KubectlResult get = await server.RunKubectlAsync($"-n {ns} get configmap held");
        Assert.Contains("NotFound", get.Stderr, StringComparison.Ordinal);
    }
}
