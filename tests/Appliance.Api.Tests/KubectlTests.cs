using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;

namespace Appliance.Api.Tests;

/// <summary>End to end with the real kubectl (v1.32) against the in-process server.</summary>
public sealed class KubectlTests(ApiServerFixture server) : IClassFixture<ApiServerFixture>
{
    [Fact]
    public async Task KubectlCreateNamespace_ThenGetNamespace()
    {
        KubectlResult created = await server.RunKubectlAsync("create namespace kc-ns");
        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.Contains("namespace/kc-ns created", created.Stdout);

        KubectlResult get = await server.RunKubectlAsync("get namespace kc-ns -o json");
        Assert.True(get.ExitCode == 0, get.ToString());
        Assert.Equal("Active", (string?)JsonNode.Parse(get.Stdout)!["status"]!["phase"]);
    }

    [Fact]
    public async Task KubectlCreateConfigMapFromLiteral_GetJsonHasTheFields()
    {
        string ns = await server.CreateNamespaceAsync();
        KubectlResult created = await server.RunKubectlAsync($"-n {ns} create configmap app-config --from-literal=mode=fast --from-literal=level=3");
        Assert.True(created.ExitCode == 0, created.ToString());

        KubectlResult get = await server.RunKubectlAsync($"-n {ns} get configmap app-config -o json");
        Assert.True(get.ExitCode == 0, get.ToString());
        JsonNode cm = JsonNode.Parse(get.Stdout)!;
        Assert.Equal("ConfigMap", (string?)cm["kind"]);
        Assert.Equal("fast", (string?)cm["data"]!["mode"]);
        Assert.Equal("3", (string?)cm["data"]!["level"]);
        Assert.Equal(ns, (string?)cm["metadata"]!["namespace"]);
        Assert.False(string.IsNullOrEmpty((string?)cm["metadata"]!["uid"]));
    }

    [Fact]
    public async Task KubectlGetByShortName_PrintsTheServersTableColumns()
    {
        string ns = await server.CreateNamespaceAsync();
        Assert.Equal(0, (await server.RunKubectlAsync($"-n {ns} create configmap listed --from-literal=a=b --from-literal=c=d")).ExitCode);

        KubectlResult get = await server.RunKubectlAsync($"-n {ns} get cm");
        Assert.True(get.ExitCode == 0, get.ToString());
        string[] lines = get.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["NAME", "DATA", "AGE"], lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        string[] row = lines.Single(line => line.StartsWith("listed ", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("2", row[1]);
        Assert.Matches("^[0-9]+s$", row[2]);
    }

    [Fact]
    public async Task KubectlGetNamespacesAndSecrets_PrintStatusAndType()
    {
        string ns = await server.CreateNamespaceAsync();
        Assert.Equal(0, (await server.RunKubectlAsync($"-n {ns} create secret generic shown --from-literal=a=b")).ExitCode);

        KubectlResult namespaces = await server.RunKubectlAsync("get namespaces");
        Assert.True(namespaces.ExitCode == 0, namespaces.ToString());
        Assert.Matches(@"(?m)^NAME\s+STATUS\s+AGE\s*$", namespaces.Stdout);
        Assert.Matches($@"(?m)^{ns}\s+Active\s+\S+\s*$", namespaces.Stdout);

        KubectlResult secrets = await server.RunKubectlAsync($"-n {ns} get secrets");
        Assert.True(secrets.ExitCode == 0, secrets.ToString());
        Assert.Matches(@"(?m)^shown\s+Opaque\s+1\s+\S+\s*$", secrets.Stdout);

        KubectlResult wide = await server.RunKubectlAsync($"get secrets -A --show-labels");
        Assert.True(wide.ExitCode == 0, wide.ToString());
        Assert.Matches($@"(?m)^{ns}\s+shown\s+Opaque", wide.Stdout);
    }

    [Fact]
    public async Task KubectlDelete_RemovesTheConfigMap()
    {
        string ns = await server.CreateNamespaceAsync();
        Assert.Equal(0, (await server.RunKubectlAsync($"-n {ns} create configmap doomed --from-literal=a=b")).ExitCode);

        KubectlResult deleted = await server.RunKubectlAsync($"-n {ns} delete configmap doomed");
        Assert.True(deleted.ExitCode == 0, deleted.ToString());
        Assert.Contains("configmap \"doomed\" deleted", deleted.Stdout);
        using HttpResponseMessage get = await server.Client.GetAsync($"/api/v1/namespaces/{ns}/configmaps/doomed");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);

        KubectlResult missing = await server.RunKubectlAsync($"-n {ns} get configmap doomed");
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("configmaps \"doomed\" not found", missing.Stderr);
    }

    [Fact]
    public async Task KubectlCreateSecretGeneric_StoresBase64DataSentAsProtobuf()
    {
        string ns = await server.CreateNamespaceAsync();
        KubectlResult created = await server.RunKubectlAsync($"-n {ns} create secret generic db --from-literal=password=pa55");
        Assert.True(created.ExitCode == 0, created.ToString());
        using HttpResponseMessage get = await server.Client.GetAsync($"/api/v1/namespaces/{ns}/secrets/db");
        JsonObject secret = await ApiServerFixture.ReadObjectAsync(get);
        Assert.Equal(Convert.ToBase64String("pa55"u8), (string?)secret["data"]!["password"]);
        Assert.Equal("Opaque", (string?)secret["type"]);
    }

    [Fact]
    public async Task KubectlCreateFromFile_CreatesASecretFromStringData()
    {
        string ns = await server.CreateNamespaceAsync();
        string file = Path.Combine(Path.GetTempPath(), $"secret-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(file, $"""
            apiVersion: v1
            kind: Secret
            metadata:
              name: from-file
              namespace: {ns}
            stringData:
              token: s3cret
            """);
        try
        {
            // No OpenAPI is served yet, so client-side schema validation is turned off.
            KubectlResult created = await server.RunKubectlAsync($"create -f {file}");
            Assert.True(created.ExitCode == 0, created.ToString());
        }
        finally
        {
            File.Delete(file);
        }

        KubectlResult get = await server.RunKubectlAsync($"-n {ns} get secret from-file -o jsonpath={{.data.token}}");
        Assert.True(get.ExitCode == 0, get.ToString());
        Assert.Equal(Convert.ToBase64String("s3cret"u8), get.Stdout.Trim());
    }

    [Fact]
    public async Task KubectlGet_EveryOutputForm()
    {
        string ns = await server.CreateNamespaceAsync();
        Assert.Equal(0, (await server.RunKubectlAsync($"-n {ns} create configmap shapes --from-literal=k=v")).ExitCode);

        KubectlResult yaml = await server.RunKubectlAsync($"-n {ns} get configmap shapes -o yaml");
        Assert.True(yaml.ExitCode == 0, yaml.ToString());
        Assert.Contains("kind: ConfigMap", yaml.Stdout);
        Assert.Contains("  k: v", yaml.Stdout);
        Assert.Contains($"  namespace: {ns}", yaml.Stdout);

        KubectlResult name = await server.RunKubectlAsync($"-n {ns} get configmaps -o name");
        Assert.True(name.ExitCode == 0, name.ToString());
        Assert.Equal("configmap/shapes", name.Stdout.Trim());

        KubectlResult wide = await server.RunKubectlAsync($"-n {ns} get configmaps -o wide");
        Assert.True(wide.ExitCode == 0, wide.ToString());
        Assert.Matches(@"NAME\s+DATA\s+AGE", wide.Stdout);
        Assert.Matches(@"shapes\s+1\s+\d+s", wide.Stdout);

        KubectlResult columns = await server.RunKubectlAsync($"-n {ns} get configmaps -o custom-columns=N:.metadata.name,K:.data.k");
        Assert.True(columns.ExitCode == 0, columns.ToString());
        Assert.Matches(@"shapes\s+v", columns.Stdout);

        KubectlResult template = await server.RunKubectlAsync($"-n {ns} get configmap shapes -o go-template={{{{.data.k}}}}");
        Assert.True(template.ExitCode == 0, template.ToString());
        Assert.Equal("v", template.Stdout);
    }

    [Fact]
    public async Task KubectlReplace_WithAStaleResourceVersion_FailsWithConflict()
    {
        string ns = await server.CreateNamespaceAsync();
        Assert.Equal(0, (await server.RunKubectlAsync($"-n {ns} create configmap raced --from-literal=k=1")).ExitCode);
        KubectlResult stale = await server.RunKubectlAsync($"-n {ns} get configmap raced -o json");
        JsonObject edited = JsonNode.Parse(stale.Stdout)!.AsObject();

        // Someone else updates it first.
        JsonObject theirs = edited.DeepClone().AsObject();
        theirs["data"]!["k"] = "2";
        using (HttpResponseMessage put = await server.Client.PutAsync($"/api/v1/namespaces/{ns}/configmaps/raced", ApiServerFixture.Json(theirs)))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        edited["data"]!["k"] = "3";
        string file = Path.Combine(Path.GetTempPath(), $"raced-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, edited.ToJsonString());
        try
        {
            KubectlResult replaced = await server.RunKubectlAsync($"replace -f {file}");
            Assert.NotEqual(0, replaced.ExitCode);
            Assert.Contains("the object has been modified", replaced.Stderr);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task KubectlCreateSettingFromFile_ThenGetItsValue()
    {
        string file = Path.Combine(Path.GetTempPath(), $"setting-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(file, """
            apiVersion: management.appliance.io/v1
            kind: Setting
            metadata:
              name: ui-banner
            value: hello
            """);
        try
        {
            KubectlResult created = await server.RunKubectlAsync($"create -f {file}");
            Assert.True(created.ExitCode == 0, created.ToString());
            Assert.Contains("setting.management.appliance.io/ui-banner created", created.Stdout);
        }
        finally
        {
            File.Delete(file);
        }

        KubectlResult value = await server.RunKubectlAsync("get settings ui-banner -o jsonpath={.value}");
        Assert.True(value.ExitCode == 0, value.ToString());
        Assert.Equal("hello", value.Stdout.Trim());
    }

    [Fact]
    public async Task KubectlLabelAndAnnotate_PatchTheObject()
    {
        string ns = await server.CreateNamespaceAsync();
        Assert.Equal(0, (await server.RunKubectlAsync($"-n {ns} create configmap tagged --from-literal=k=v")).ExitCode);

        KubectlResult label = await server.RunKubectlAsync($"-n {ns} label configmap tagged tier=web");
        Assert.True(label.ExitCode == 0, label.ToString());
        Assert.Contains("configmap/tagged labeled", label.Stdout);
        KubectlResult annotate = await server.RunKubectlAsync($"-n {ns} annotate configmap tagged owner=team-a");
        Assert.True(annotate.ExitCode == 0, annotate.ToString());

        KubectlResult selected = await server.RunKubectlAsync($"-n {ns} get configmaps -l tier=web -o jsonpath={{.items[*].metadata.annotations.owner}}");
        Assert.True(selected.ExitCode == 0, selected.ToString());
        Assert.Equal("team-a", selected.Stdout.Trim());
    }

    [Fact]
    public async Task KubectlDescribeConfigMap_PrintsItsDataAndNoEvents()
    {
        string ns = await server.CreateNamespaceAsync();
        Assert.Equal(0, (await server.RunKubectlAsync($"-n {ns} create configmap described --from-literal=key=value")).ExitCode);

        KubectlResult describe = await server.RunKubectlAsync($"-n {ns} describe configmap described");
        Assert.True(describe.ExitCode == 0, describe.ToString());
        Assert.Matches(@"(?m)^Name:\s+described$", describe.Stdout);
        Assert.Matches($@"(?m)^Namespace:\s+{ns}$", describe.Stdout);
        Assert.Contains("key:", describe.Stdout);
        Assert.Contains("value", describe.Stdout);
        Assert.Matches(@"(?m)^Events:\s+<none>", describe.Stdout);
    }

    [Fact]
    public async Task KubectlEdit_WithoutClientValidation_SavesTheChange()
    {
        string ns = await server.CreateNamespaceAsync();
        Assert.Equal(0, (await server.RunKubectlAsync($"-n {ns} create configmap edited --from-literal=mode=slow")).ExitCode);

        // The editor is a sed script.
        KubectlResult edit = await server.RunKubectlAsync($"-n {ns} edit configmap edited", environment: new() { ["EDITOR"] = "sed -i s/mode:\\ slow/mode:\\ fast/" });
        Assert.True(edit.ExitCode == 0, edit.ToString());
        Assert.Contains("configmap/edited edited", edit.Stdout);
        using HttpResponseMessage get = await server.Client.GetAsync($"/api/v1/namespaces/{ns}/configmaps/edited");
        Assert.Equal("fast", (string?)(await ApiServerFixture.ReadObjectAsync(get))["data"]!["mode"]);
    }

    [Fact]
    public async Task KubectlDeleteNamespace_RemovesItAndItsConfigMaps()
    {
        Assert.Equal(0, (await server.RunKubectlAsync("create namespace kc-doomed")).ExitCode);
        Assert.Equal(0, (await server.RunKubectlAsync("-n kc-doomed create configmap inside --from-literal=a=b")).ExitCode);

        KubectlResult deleted = await server.RunKubectlAsync("delete namespace kc-doomed");
        Assert.True(deleted.ExitCode == 0, deleted.ToString());
        Assert.Contains("namespace \"kc-doomed\" deleted", deleted.Stdout);
        KubectlResult left = await server.RunKubectlAsync("get configmaps -A -o name");
        Assert.DoesNotContain("configmap/inside", left.Stdout);
        KubectlResult get = await server.RunKubectlAsync("get namespace kc-doomed");
        Assert.Contains("namespaces \"kc-doomed\" not found", get.Stderr);
    }

    [Fact]
    public async Task KubectlApiResources_ListsTheServedKinds()
    {
        KubectlResult result = await server.RunKubectlAsync("api-resources");
        Assert.True(result.ExitCode == 0, result.ToString());
        string[] lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.StartsWith("configmaps ", StringComparison.Ordinal) && l.Contains(" cm ", StringComparison.Ordinal) && l.Contains("ConfigMap", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("namespaces ", StringComparison.Ordinal) && l.Contains("false", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("secrets ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("settings ", StringComparison.Ordinal) && l.Contains("management.appliance.io/v1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task KubectlGetWatch_PrintsAConfigMapCreatedWhileWatching()
    {
        string ns = await server.CreateNamespaceAsync();
        Assert.Equal(0, (await server.RunKubectlAsync($"-n {ns} create configmap first --from-literal=a=b")).ExitCode);

        using Process watch = server.StartKubectl($"-n {ns} get cm -w");
        using var stderr = new StringWriter();
        Task drainErrors = Task.Run(async () => stderr.Write(await watch.StandardError.ReadToEndAsync()));
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            var seen = new List<string>();
            Assert.True(await ReadUntilAsync(watch.StandardOutput, "first", seen, timeout.Token), $"initial list not printed: {string.Join('\n', seen)}");

            var body = new JsonObject { ["metadata"] = new JsonObject { ["name"] = "second" } };
            using HttpResponseMessage created = await server.Client.PostAsync($"/api/v1/namespaces/{ns}/configmaps", ApiServerFixture.Json(body));
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            Assert.True(await ReadUntilAsync(watch.StandardOutput, "second", seen, timeout.Token), $"watch event not printed: {string.Join('\n', seen)}\n{stderr}");
        }
        finally
        {
            watch.Kill(entireProcessTree: true);
            await watch.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);
        }
    }

    private static async Task<bool> ReadUntilAsync(StreamReader reader, string name, List<string> seen, CancellationToken cancellationToken)
    {
        try
        {
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                seen.Add(line);
                if (line.StartsWith(name + " ", StringComparison.Ordinal))
                {
                    return true;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        return false;
    }
}
