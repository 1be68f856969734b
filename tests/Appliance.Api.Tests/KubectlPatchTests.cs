using System.Text.Json.Nodes;

namespace Appliance.Api.Tests;

/// <summary>The patch media types end to end, as the real kubectl (v1.32) sends them.</summary>
public sealed class KubectlPatchTests(ApiServerFixture server) : IClassFixture<ApiServerFixture>
{
    [Fact]
    public async Task KubectlPatchTypeJson_AppliesTheOperations()
    {
        string ns = await server.CreateNamespaceAsync();
        await RunAsync($"-n {ns} create configmap cm --from-literal=a=1 --from-literal=b=2");

        KubectlResult patch = await server.RunKubectlAsync(
            $"-n {ns} patch configmap cm --type=json -p " + Quote("""[{"op":"replace","path":"/data/a","value":"10"},{"op":"remove","path":"/data/b"},{"op":"add","path":"/data/c","value":"3"}]"""));
        Assert.True(patch.ExitCode == 0, patch.ToString());
        Assert.Contains("configmap/cm patched", patch.Stdout, StringComparison.Ordinal);

        JsonNode data = (await GetJsonAsync($"-n {ns} get configmap cm"))["data"]!;
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"a":"10","c":"3"}"""), data), data.ToJsonString());
    }

    [Fact]
    public async Task KubectlPatchTypeJson_WithAFailingTest_FailsWithTheReason()
    {
        string ns = await server.CreateNamespaceAsync();
        await RunAsync($"-n {ns} create configmap cm --from-literal=a=1");

        KubectlResult patch = await server.RunKubectlAsync(
            $"-n {ns} patch configmap cm --type=json -p " + Quote("""[{"op":"test","path":"/data/a","value":"2"},{"op":"replace","path":"/data/a","value":"3"}]"""));
        Assert.NotEqual(0, patch.ExitCode);
        Assert.Contains("The request is invalid", patch.Stderr, StringComparison.Ordinal);
        Assert.Contains("testing value /data/a failed", patch.Stderr, StringComparison.Ordinal);
        Assert.Equal("1", (string?)(await GetJsonAsync($"-n {ns} get configmap cm"))["data"]!["a"]);
    }

    [Fact]
    public async Task KubectlPatchStrategic_OnASecret_MergesData()
    {
        string ns = await server.CreateNamespaceAsync();
        await RunAsync($"-n {ns} create secret generic creds --from-literal=user=admin --from-literal=password=old");

        // --type=strategic is kubectl patch's default; say it to be sure of the media type under test.
        KubectlResult patch = await server.RunKubectlAsync($"-n {ns} patch secret creds --type=strategic -p " + Quote("""{"data":{"password":"bmV3","user":null},"metadata":{"labels":{"rotated":"yes"}}}"""));
        Assert.True(patch.ExitCode == 0, patch.ToString());

        JsonNode secret = await GetJsonAsync($"-n {ns} get secret creds");
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"password":"bmV3"}"""), secret["data"]), secret.ToJsonString());
        Assert.Equal("yes", (string?)secret["metadata"]!["labels"]!["rotated"]);
    }

    [Fact]
    public async Task KubectlPatchStrategic_OnAPod_MergesContainersByName()
    {
        string ns = await server.CreateNamespaceAsync();
        string file = Path.Combine(Path.GetTempPath(), $"pod-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, """
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"web"},
             "spec":{"containers":[{"name":"app","image":"app:1"},{"name":"sidecar","image":"proxy:1"}]}}
            """);
        try
        {
            await RunAsync($"-n {ns} create -f {file}");
        }
        finally
        {
            File.Delete(file);
        }

        KubectlResult patch = await server.RunKubectlAsync($"-n {ns} patch pod web -p " + Quote("""{"spec":{"containers":[{"name":"app","image":"app:2"}]}}"""));
        Assert.True(patch.ExitCode == 0, patch.ToString());

        JsonArray containers = (await GetJsonAsync($"-n {ns} get pod web"))["spec"]!["containers"]!.AsArray();
        Assert.Equal(["app:2", "proxy:1"], containers.Select(c => (string)c!["image"]!));
    }

    [Fact]
    public async Task KubectlApplyTwice_UpdatesThroughAStrategicMergePatch_AndRemovesADroppedKey()
    {
        string ns = await server.CreateNamespaceAsync();
        string file = Path.Combine(Path.GetTempPath(), $"cm-{Guid.NewGuid():N}.yaml");
        try
        {
            await File.WriteAllTextAsync(file, $"""
                apiVersion: v1
                kind: ConfigMap
                metadata:
                  name: applied
                  namespace: {ns}
                data:
                  keep: "1"
                  drop: "2"
                """);
            KubectlResult first = await server.RunKubectlAsync($"apply -f {file}");
            Assert.True(first.ExitCode == 0, first.ToString());
            Assert.Contains("configmap/applied created", first.Stdout, StringComparison.Ordinal);

            await File.WriteAllTextAsync(file, $"""
                apiVersion: v1
                kind: ConfigMap
                metadata:
                  name: applied
                  namespace: {ns}
                data:
                  keep: "1"
                  added: "3"
                """);
            // -v=8 logs the request headers: the update must be a strategic merge patch, not a merge patch.
            KubectlResult second = await server.RunKubectlAsync($"apply -f {file} -v=8");
            Assert.True(second.ExitCode == 0, second.ToString());
            Assert.Contains("configmap/applied configured", second.Stdout, StringComparison.Ordinal);
            Assert.Matches(@"PATCH .*/configmaps/applied", second.Stderr);
            Assert.Contains("Content-Type: application/strategic-merge-patch+json", second.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }

        JsonNode cm = await GetJsonAsync($"-n {ns} get configmap applied");
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"keep":"1","added":"3"}"""), cm["data"]), cm.ToJsonString());
        string? lastApplied = (string?)cm["metadata"]!["annotations"]!["kubectl.kubernetes.io/last-applied-configuration"];
        Assert.Contains("\"added\":\"3\"", lastApplied, StringComparison.Ordinal);
        Assert.DoesNotContain("drop", lastApplied, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KubectlLabelOverwrite_ReplacesTheLabel()
    {
        string ns = await server.CreateNamespaceAsync();
        await RunAsync($"-n {ns} create configmap cm --from-literal=a=1");
        await RunAsync($"-n {ns} label configmap cm tier=web");

        KubectlResult refused = await server.RunKubectlAsync($"-n {ns} label configmap cm tier=db");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("already has a value (web)", refused.Stderr, StringComparison.Ordinal);

        KubectlResult overwrite = await server.RunKubectlAsync($"-n {ns} label configmap cm tier=db --overwrite");
        Assert.True(overwrite.ExitCode == 0, overwrite.ToString());
        Assert.Equal("db", (string?)(await GetJsonAsync($"-n {ns} get configmap cm"))["metadata"]!["labels"]!["tier"]);
    }

    [Fact]
    public async Task KubectlPatchStrategic_OfASetting_IsRefusedAndMergeWorks()
    {
        string name = "kc-" + Guid.NewGuid().ToString("N")[..8];
        string file = Path.Combine(Path.GetTempPath(), $"setting-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, $$"""{"apiVersion":"management.appliance.io/v1","kind":"Setting","metadata":{"name":"{{name}}"},"value":"a"}""");
        try
        {
            await RunAsync($"create -f {file}");
        }
        finally
        {
            File.Delete(file);
        }

        KubectlResult strategic = await server.RunKubectlAsync($"patch setting {name} --type=strategic -p " + Quote("""{"value":"b"}"""));
        Assert.NotEqual(0, strategic.ExitCode);
        Assert.Contains("application/strategic-merge-patch+json", strategic.Stderr, StringComparison.Ordinal);

        KubectlResult merge = await server.RunKubectlAsync($"patch setting {name} --type=merge -p " + Quote("""{"value":"b"}"""));
        Assert.True(merge.ExitCode == 0, merge.ToString());
        Assert.Equal("b", (string?)(await GetJsonAsync($"get setting {name}"))["value"]);
    }

    // Process arguments are split as a command line: quote the JSON so its quotes reach kubectl.
    private static string Quote(string json) => "\"" + json.Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    private async Task RunAsync(string arguments)
    {
        KubectlResult result = await server.RunKubectlAsync(arguments);
        Assert.True(result.ExitCode == 0, result.ToString());
    }

    private async Task<JsonNode> GetJsonAsync(string arguments)
    {
        KubectlResult result = await server.RunKubectlAsync(arguments + " -o json");
        Assert.True(result.ExitCode == 0, result.ToString());
        return JsonNode.Parse(result.Stdout)!;
    }
}
